using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using BenchmarkDotNet.Attributes;

namespace AutoDiffRnn.Benchmarks;

/// <summary>A recurrent benchmark configuration: kind, sequence length T, batch B, input size I, hidden size H, layers, directions.</summary>
public sealed record RecurrentCase(RecurrentKind Kind, int T, int B, int I, int H, int Layers = 1, bool Bidirectional = false)
{
    /// <summary>Shown in the summary table.</summary>
    public override string ToString() =>
        $"{Kind} T{T} B{B} I{I} H{H}" + (Layers > 1 ? $" L{Layers}" : "") + (Bidirectional ? " bi" : "");
}

/// <summary>
/// Recurrent layers in float32, composed path and (LSTM) fused kernel: a training step (forward, sum of the output, backward) and inference (no grad),
/// at the sizes of the issue. Run: <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*Recurrent*'</c>.
/// libtorch's times for the same sizes on the development machine are in ../shared/REFERENCE.md (compare within one run when the
/// TorchSharp oracle lands).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RecurrentBenchmarks
{
    private RecurrentLayer layer = null!;
    private Tensor input = null!;

    /// <summary>The configurations measured.</summary>
    public static IEnumerable<RecurrentCase> Cases =>
    [
        new(RecurrentKind.Lstm, 64, 32, 128, 256),
        new(RecurrentKind.Lstm, 256, 1, 64, 64),
        new(RecurrentKind.Lstm, 32, 64, 512, 512),
        new(RecurrentKind.Lstm, 50, 16, 64, 128, 2, true),
        new(RecurrentKind.Gru, 64, 32, 128, 256),
        new(RecurrentKind.RnnTanh, 64, 32, 128, 256),
    ];

    /// <summary>The configuration of the current case.</summary>
    [ParamsSource(nameof(Cases))]
    public RecurrentCase Case { get; set; } = new(RecurrentKind.Lstm, 1, 1, 1, 1);

    /// <summary>Whether the LSTM uses the fused kernel (ignored by GRU and RNN, which run the composed path).</summary>
    [Params(false, true)]
    public bool Fused { get; set; }

    /// <summary>Builds the layer and a random input (fixed seed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(1);
        layer = new RecurrentLayer(Case.Kind, Case.I, Case.H, Case.Layers, bidirectional: Case.Bidirectional, generator: generator)
        {
            UseFusedKernels = Fused,
        };
        input = Tensor.Normal(new Shape(Case.T, Case.B, Case.I), generator: generator);
    }

    /// <summary>Forward, sum, backward.</summary>
    [Benchmark]
    public void TrainStep()
    {
        layer.ZeroGrad();
        layer.Forward(input).Output.Sum().Backward();
    }

    /// <summary>Forward without recording.</summary>
    [Benchmark]
    public Tensor Inference()
    {
        using var _ = GradMode.NoGrad();
        return layer.Forward(input).Output;
    }
}
