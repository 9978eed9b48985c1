using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using static TorchSharp.torch;

namespace AutoDiffRnn.Benchmarks;

/// <summary>A GEMM shape: C (M×N) = A (M×K) · B (K×N).</summary>
public sealed record GemmShape(int M, int K, int N) : IFlopCount
{
    /// <inheritdoc/>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Shown in the summary table as M×K×N.</summary>
    public override string ToString() => $"M{M} K{K} N{N}";
}

/// <summary>One launch, three warm-ups and five measured iterations, in this process (libtorch's natives are in this output).</summary>
public sealed class InProcessGemmJob : ManualConfig
{
    /// <summary>The job.</summary>
    public InProcessGemmJob() =>
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance));
}

/// <summary>
/// float32 GEMM, C = A B with row-major A and B: the packed AVX-512 kernel (on all cores and on one) and libtorch's matmul (on as
/// many threads as the machine has cores) side by side, against a baseline of one
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> per element of C (rows of A with rows of a Bᵀ
/// transposed beforehand, outside the timing). Run: <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*Gemm*'</c>.
/// </summary>
[Config(typeof(InProcessGemmJob))]
public class GemmBenchmarks
{
    private float[] a = [], b = [], bTransposed = [], c = [];
    private IDisposable? oneThread;
    private TorchSharp.torch.Tensor torchA = null!, torchB = null!, torchC = null!;

    /// <summary>The shapes measured: cubes, and a recurrent-layer-like product (batch 32, 384 inputs, 1024 gate units).</summary>
    public static IEnumerable<GemmShape> Shapes =>
    [
        new(64, 64, 64), new(256, 256, 256), new(512, 512, 512), new(1024, 1024, 1024), new(32, 384, 1024),
    ];

    /// <summary>The shape of the current case.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new(1, 1, 1);

    /// <summary>Fills A and B with uniform random values (fixed seed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        a = RandomArray(random, Shape.M * Shape.K);
        b = RandomArray(random, Shape.K * Shape.N);
        bTransposed = new float[b.Length];
        for (int p = 0; p < Shape.K; p++)
        for (int j = 0; j < Shape.N; j++)
            bTransposed[j * Shape.K + p] = b[p * Shape.N + j];
        c = new float[Shape.M * Shape.N];
    }

    /// <summary>Setup for <see cref="PackedOneThread"/>: restricts the GEMM to the calling thread.</summary>
    [GlobalSetup(Target = nameof(PackedOneThread))]
    public void SetupOneThread()
    {
        Setup();
        oneThread = KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 1 });
    }

    /// <summary>Restores the GEMM's thread count.</summary>
    [GlobalCleanup(Target = nameof(PackedOneThread))]
    public void CleanupOneThread() => oneThread?.Dispose();

    /// <summary>Setup for <see cref="LibTorch"/>: the same A and B as libtorch tensors, libtorch on every core.</summary>
    [GlobalSetup(Target = nameof(LibTorch))]
    public void SetupLibTorch()
    {
        Setup();
        set_num_threads(Environment.ProcessorCount);
        torchA = tensor(a, [Shape.M, Shape.K]);
        torchB = tensor(b, [Shape.K, Shape.N]);
        torchC = zeros(Shape.M, Shape.N);
    }

    /// <summary>Frees the libtorch tensors.</summary>
    [GlobalCleanup(Target = nameof(LibTorch))]
    public void CleanupLibTorch()
    {
        torchA.Dispose();
        torchB.Dispose();
        torchC.Dispose();
    }

    /// <summary>Baseline: C[i, j] = Dot(row i of A, row j of Bᵀ), single-threaded.</summary>
    [Benchmark(Baseline = true)]
    public void DotProducts()
    {
        int m = Shape.M, n = Shape.N, k = Shape.K;
        for (int i = 0; i < m; i++)
        {
            var row = a.AsSpan(i * k, k);
            for (int j = 0; j < n; j++) c[i * n + j] = TensorPrimitives.Dot(row, bTransposed.AsSpan(j * k, k));
        }
    }

    /// <summary>The packed GEMM, split over the cores when large enough.</summary>
    [Benchmark]
    public void Packed() => Gemm.Multiply<float>(a, false, b, false, c, Shape.M, Shape.N, Shape.K, accumulate: false);

    /// <summary>The packed GEMM on one thread.</summary>
    [Benchmark]
    public void PackedOneThread() => Gemm.Multiply<float>(a, false, b, false, c, Shape.M, Shape.N, Shape.K, accumulate: false);

    /// <summary>libtorch's GEMM into a preallocated C (<c>c.addmm_(a, b, beta: 0)</c>: C = A B, no allocation), in the same run.</summary>
    [Benchmark]
    public void LibTorch() => torchC.addmm_(torchA, torchB, beta: 0, alpha: 1);

    private static float[] RandomArray(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
