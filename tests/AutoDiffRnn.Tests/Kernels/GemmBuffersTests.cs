using AutoDiffRnn.Kernels;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>
/// The GEMM's packing buffers are a pool shared by every thread: a rented buffer is aligned and large enough, two rents held at once get
/// different buffers, and a thread that has never run a product takes a buffer another thread handed back instead of allocating its own
/// (before, each thread grew its own pinned buffer: a thread-pool thread new to the split products allocated 256–384 KB in a training step).
/// </summary>
[Collection(AllocationCollection.Name)] // counts bytes: not beside other tests renting from the same pool
public sealed unsafe class GemmBuffersTests
{
    [Fact]
    public void ARentedBufferIsAlignedAndLargeEnoughAndTwoHeldAtOnceDiffer()
    {
        using var first = GemmBuffers.Rent(100_000);
        using var second = GemmBuffers.Rent(100_000);
        Assert.Equal(0, (nint)first.Pointer % 64);
        Assert.Equal(0, (nint)second.Pointer % 64);
        Assert.True(Math.Abs((long)(first.Pointer - second.Pointer)) >= 100_000, "two buffers held at once overlap");
        new Span<byte>(first.Pointer, 100_000).Fill(1); // the whole length is writable
        new Span<byte>(second.Pointer, 100_000).Fill(2);
        Assert.Equal(1, first.Pointer[99_999]);
    }

    [Fact]
    public void AThreadNewToTheProductsReusesAPooledBufferInsteadOfAllocating()
    {
        const int m = 96, n = 160, k = 300; // a blocked product with packing buffers
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        using var scope = KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 1 }); // flows to the new thread below
        for (int i = 0; i < 3; i++) Gemm.Multiply<float>(a, false, b, false, c, m, n, k, accumulate: false); // the pool holds its buffer now
        long allocated = -1;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Gemm.Multiply<float>(a, false, b, false, c, m, n, k, accumulate: false);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        thread.Start();
        thread.Join();
        Assert.True(allocated is >= 0 and < 1024, $"a GEMM on a thread new to the products allocated {allocated} bytes (its own packing buffer)");
    }
}
