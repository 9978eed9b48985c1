using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>
/// The allocation-free fork-join: every part runs exactly once, the first failure comes back to the caller, calls nest, the caller's
/// kernel tuning reaches the helpers, and neither it nor a GEMM
/// split over the cores allocates on the calling thread in steady state.
/// </summary>
public class ParallelPartsTests
{
    private readonly struct CountParts(int[] counts) : IParallelBody
    {
        public void Run(int part)
        {
            Interlocked.Increment(ref counts[part]);
            Thread.SpinWait(200); // long enough for helpers to take part
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    public void RunsEveryPartExactlyOnce(int parts)
    {
        for (int repeat = 0; repeat < 50; repeat++)
        {
            var counts = new int[parts];
            ParallelParts.Run(parts, new CountParts(counts));
            Assert.All(counts, count => Assert.Equal(1, count));
        }
    }

    private readonly struct CountQuickly(int[] counts) : IParallelBody
    {
        public void Run(int part) => Interlocked.Increment(ref counts[part]);
    }

    /// <summary>Back-to-back calls with changing part counts and parts too short for the helpers to keep up: helpers queued for one
    /// call start during later ones (whose ticket holds another part count) and must neither run a part twice nor lose one.</summary>
    [Fact]
    public void HelpersThatStartDuringALaterCallRunEachPartOnce()
    {
        for (int call = 0; call < 3000; call++)
        {
            var counts = new int[2 + call % 9];
            ParallelParts.Run(counts.Length, new CountQuickly(counts));
            Assert.All(counts, count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public void ZeroPartsRunNothingAndNegativeCountsAreRejected()
    {
        ParallelParts.Run(0, new CountParts([]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ParallelParts.Run(-1, new CountParts([])));
        Assert.Contains("parallel parts", error.Message);
    }

    private readonly struct FailOnePart(int failing, int[] counts) : IParallelBody
    {
        public void Run(int part)
        {
            Interlocked.Increment(ref counts[part]);
            if (part == failing) throw new InvalidOperationException($"part {part} failed");
        }
    }

    [Fact]
    public void RethrowsTheFailureOfAPartAfterTheOthersRan()
    {
        for (int repeat = 0; repeat < 20; repeat++)
        {
            var counts = new int[6];
            var error = Assert.Throws<InvalidOperationException>(() => ParallelParts.Run(6, new FailOnePart(4, counts)));
            Assert.Equal("part 4 failed", error.Message);
            Assert.All(counts, count => Assert.Equal(1, count));
        }
        var after = new int[4]; // the work items are reusable after a failure
        ParallelParts.Run(4, new CountParts(after));
        Assert.All(after, count => Assert.Equal(1, count));
    }

    private readonly struct Nested(int[,] counts) : IParallelBody
    {
        public void Run(int part) => ParallelParts.Run(counts.GetLength(1), new Row(counts, part));

        private readonly struct Row(int[,] counts, int row) : IParallelBody
        {
            public void Run(int part) => Interlocked.Increment(ref counts[row, part]);
        }
    }

    [Fact]
    public void CallsNest()
    {
        for (int repeat = 0; repeat < 20; repeat++)
        {
            var counts = new int[3, 5];
            ParallelParts.Run(3, new Nested(counts));
            foreach (var count in counts) Assert.Equal(1, count);
        }
    }

    private readonly struct ReadTuning(int[] seen) : IParallelBody
    {
        public void Run(int part)
        {
            seen[part] = KernelTuning.Current.DepthBlock;
            Thread.SpinWait(2000);
        }
    }

    [Fact]
    public void HelpersSeeTheCallersKernelTuning()
    {
        using var scope = KernelTuning.Use(KernelTuning.Current with { DepthBlock = 77 });
        var seen = new int[8];
        for (int repeat = 0; repeat < 20; repeat++)
        {
            ParallelParts.Run(seen.Length, new ReadTuning(seen));
            Assert.All(seen, depthBlock => Assert.Equal(77, depthBlock));
        }
    }

    private readonly struct Nothing : IParallelBody
    {
        public void Run(int part) { }
    }

    [Fact]
    public void DoesNotAllocateOnTheCallingThreadInSteadyState()
    {
        for (int i = 0; i < 200; i++) ParallelParts.Run(4, new Nothing());
        Assert.True(FewestBytesPerWindow(() => ParallelParts.Run(4, new Nothing())) < 64,
            "parallel parts allocate on the calling thread");
    }

    [Fact]
    public void GemmSplitOverTheCoresDoesNotAllocateOnTheCallingThreadInSteadyState()
    {
        const int m = 96, n = 160, k = 300; // 4.6 M multiply-adds: above the parallel threshold
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        using var scope = KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 2 });
        for (int i = 0; i < 20; i++) Gemm.Multiply<float>(a, false, b, false, c, m, n, k, accumulate: false);
        Assert.True(FewestBytesPerWindow(() => Gemm.Multiply<float>(a, false, b, false, c, m, n, k, accumulate: false)) < 64,
            "a GEMM split over the cores allocates on the calling thread");
    }

    /// <summary>The fewest bytes the calling thread allocated over 5 windows of 20 calls (a rare growth of a thread-pool queue segment
    /// counts in one window only).</summary>
    private static long FewestBytesPerWindow(Action call)
    {
        long fewest = long.MaxValue;
        for (int window = 0; window < 5; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) call();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
