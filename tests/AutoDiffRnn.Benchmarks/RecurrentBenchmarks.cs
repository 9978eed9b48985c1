using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.FSharp.Torch;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.FSharp.Core;

namespace AutoDiffRnn.Benchmarks;

/// <summary>A recurrent benchmark configuration: kind, sequence length T, batch B, input size I, hidden size H, layers, directions.</summary>
public sealed record RecurrentCase(RecurrentKind Kind, int T, int B, int I, int H, int Layers = 1, bool Bidirectional = false)
{
    /// <summary>Shown in the summary table.</summary>
    public override string ToString() =>
        $"{Kind} T{T} B{B} I{I} H{H}" + (Layers > 1 ? $" L{Layers}" : "") + (Bidirectional ? " bi" : "");
}

/// <summary>One launch, one warm-up and three measured iterations, in this process.</summary>
public sealed class InProcessShortJob : ManualConfig
{
    /// <summary>The job.</summary>
    public InProcessShortJob() =>
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithToolchain(InProcessEmitToolchain.Instance));
}

/// <summary>
/// One launch, two warm-ups and seven measured iterations, in this process: for the cases compared with libtorch, whose ratio is of
/// medians. On a shared 2-core virtual machine a fixed product's time spreads by a fifth from call to call (the char-rnn step
/// harness's <c>--control</c>), so the middle of three iterations moved the ratios by 20-30 % from run to run.
/// </summary>
public sealed class InProcessComparisonJob : ManualConfig
{
    /// <summary>The job.</summary>
    public InProcessComparisonJob() =>
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithToolchain(InProcessEmitToolchain.Instance));
}

/// <summary>Which implementation a recurrent benchmark runs.</summary>
public enum RecurrentImplementation
{
    /// <summary>AutoDiffRnn, composed path: one tape op per primitive.</summary>
    Composed,
    /// <summary>AutoDiffRnn, fused kernels (<c>UseFusedKernels</c>: the recurrence driver, for every kind including the tanh RNN).</summary>
    Fused,
    /// <summary>libtorch (TorchSharp) with the same weights, loaded by PyTorch name, on as many threads as the machine has cores.</summary>
    LibTorch,
}

/// <summary>
/// Recurrent layers in float32, AutoDiffRnn (composed path and fused kernels) and libtorch side by side in one run: a training step
/// (forward, sum of the output, backward) and inference (no grad), at the sizes of the issue. Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*Recurrent*'</c>; the "ours/libtorch" column and the
/// table printed after the run give each time over libtorch's for the same case and method.
/// The memory diagnoser adds the bytes allocated per operation (all threads) and the collections per 1000 operations.
/// Runs in process (<see cref="InProcessComparisonJob"/>): libtorch's native libraries are in this project's output (where the build's
/// TorchSharp fix applies), not in the separate project BenchmarkDotNet would generate.
/// </summary>
[Config(typeof(InProcessComparisonJob))]
[MemoryDiagnoser]
public class RecurrentBenchmarks
{
    private RecurrentLayer layer = null!;
    private Tensor input = null!;
    private TorchRecurrentModule torchModule = null!;
    private TorchSharp.torch.Tensor torchInput = null!;
    private TorchSharp.torch.Tensor[] torchParameters = [];

    /// <summary>Environment variable: when set, only the cases whose name (as the summary shows it) contains one of its
    /// comma-separated parts run, e.g. <c>AUTODIFFRNN_RECURRENT_CASES="Lstm T64,bi"</c>.</summary>
    public const string CaseFilterVariable = "AUTODIFFRNN_RECURRENT_CASES";

    /// <summary>The configurations measured (narrowed by <see cref="CaseFilterVariable"/>).</summary>
    public static IEnumerable<RecurrentCase> Cases
    {
        get
        {
            RecurrentCase[] all =
            [
                new(RecurrentKind.Lstm, 64, 32, 128, 256),
                new(RecurrentKind.Lstm, 256, 1, 64, 64),
                new(RecurrentKind.Lstm, 32, 64, 512, 512),
                new(RecurrentKind.Lstm, 50, 16, 64, 128, 2, true),
                new(RecurrentKind.Gru, 64, 32, 128, 256),
                new(RecurrentKind.RnnTanh, 64, 32, 128, 256),
            ];
            var parts = Environment.GetEnvironmentVariable(CaseFilterVariable)?.Split(',', StringSplitOptions.RemoveEmptyEntries);
            return parts is null or [] ? all : all.Where(entry => parts.Any(part => entry.ToString().Contains(part, StringComparison.Ordinal)));
        }
    }

    /// <summary>The configuration of the current case.</summary>
    [ParamsSource(nameof(Cases))]
    public RecurrentCase Case { get; set; } = new(RecurrentKind.Lstm, 1, 1, 1, 1);

    /// <summary>The implementation measured.</summary>
    [ParamsAllValues]
    public RecurrentImplementation Implementation { get; set; }

    /// <summary>Builds the layer and a random input (fixed seed); for libtorch, the module with the layer's weights.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(1);
        layer = new RecurrentLayer(Case.Kind, Case.I, Case.H, Case.Layers, bidirectional: Case.Bidirectional, generator: generator)
        {
            UseFusedKernels = Implementation == RecurrentImplementation.Fused,
        };
        input = Tensor.Normal(new Shape(Case.T, Case.B, Case.I), generator: generator);
        if (Implementation == RecurrentImplementation.LibTorch)
        {
            TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
            torchModule = TorchRecurrent.OfLayer(WeightLayout.PyTorchLayout, layer);
            torchParameters = torchModule.NamedParameters().Select(entry => entry.Item2).ToArray();
            torchInput = TorchTensor.OfTensor(input);
        }
    }

    /// <summary>Forward, sum, backward.</summary>
    [Benchmark]
    public void TrainStep()
    {
        if (Implementation == RecurrentImplementation.LibTorch)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            foreach (var parameter in torchParameters) parameter.grad?.zero_();
            TorchForward().Output.sum().backward();
            return;
        }
        using var step = TensorScope.Begin(); // as libtorch's dispose scope: the step's tensors go back to the storage pool
        layer.ZeroGrad();
        layer.Forward(input).Output.Sum().Backward();
    }

    /// <summary>Forward without recording.</summary>
    [Benchmark]
    public object Inference()
    {
        if (Implementation == RecurrentImplementation.LibTorch)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var noGrad = TorchSharp.torch.no_grad();
            return TorchForward().Output.shape;
        }
        using var _ = GradMode.NoGrad();
        using var call = TensorScope.Begin();
        return layer.Forward(input).Output.Shape;
    }

    private TorchRecurrentOutput TorchForward() =>
        TorchRecurrent.Forward(torchModule, false, torchInput, FSharpOption<TorchSharp.torch.Tensor>.None,
            FSharpOption<TorchSharp.torch.Tensor>.None, FSharpOption<int[]>.None);
}
