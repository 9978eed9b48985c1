using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;
using BenchmarkDotNet.Attributes;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// The price of anomaly mode (<see cref="Anomaly.Detect"/>): a training step of a small LSTM language model (forward, cross-entropy,
/// backward, clipping, Adam) on the composed path (one tape op per primitive: the most ops, so the most checks) and on the fused
/// kernels, with anomaly mode off and on; and a chain of 200 one-element ops, where the per-op cost is all there is.
/// Off must cost nothing measurable (one thread-static read per op). Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*Anomaly*'</c>.
/// </summary>
[Config(typeof(AnomalyBenchmarkJob))]
public class AnomalyBenchmarks
{
    private const int Steps = 32, Batch = 16, Vocabulary = 64, Hidden = 128;
    private Lstm lstm = null!;
    private Linear head = null!;
    private Tensor input = null!;
    private int[] targets = [];
    private Adam optimizer = null!;
    private Tensor scalar = null!;

    /// <summary>Anomaly mode on or off during the measured step.</summary>
    [Params(false, true)]
    public bool DetectAnomaly { get; set; }

    /// <summary>The fused LSTM kernels, or the composed path.</summary>
    [Params(false, true)]
    public bool Fused { get; set; }

    /// <summary>Builds the model and a batch.</summary>
    [GlobalSetup]
    public void Setup()
    {
        lstm = new Lstm(Vocabulary, Hidden, generator: new Generator(1)) { UseFusedKernels = Fused };
        head = new Linear(Hidden, Vocabulary, generator: new Generator(2));
        input = Tensor.Normal(new Shape(Steps, Batch, Vocabulary), generator: new Generator(3));
        var generator = new Generator(4);
        targets = Enumerable.Range(0, Steps * Batch).Select(_ => generator.NextInt(Vocabulary)).ToArray();
        optimizer = new Adam(lstm.Parameters().Concat(head.Parameters()), 1e-3);
        scalar = Tensor.Scalar(0.5).SetRequiresGrad();
    }

    /// <summary>One training step.</summary>
    [Benchmark]
    public double TrainingStep()
    {
        using var scope = DetectAnomaly ? Anomaly.Detect() : null;
        optimizer.ZeroGrad();
        var logits = head.Forward(lstm.Forward(input).Output);
        var loss = Loss.CrossEntropy(logits.Reshape(Steps * Batch, Vocabulary), targets);
        loss.Backward();
        GradientClipping.ClipGradNorm(optimizer.Parameters, 5);
        optimizer.Step();
        return loss.ToScalar();
    }

    /// <summary>200 one-element ops forward and backward: the per-op overhead alone.</summary>
    [Benchmark]
    public double TinyOps()
    {
        using var scope = DetectAnomaly ? Anomaly.Detect() : null;
        scalar.ZeroGrad();
        var x = scalar;
        for (int i = 0; i < 100; i++) x = (x * 0.99).Tanh();
        x.Backward();
        return scalar.Grad!.ToScalar();
    }
}
