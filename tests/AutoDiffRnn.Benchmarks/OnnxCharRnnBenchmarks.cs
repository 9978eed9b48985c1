using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Runtime;
using BenchmarkDotNet.Attributes;

namespace AutoDiffRnn.Benchmarks;

/// <summary>A char-rnn inference workload: sequence length T and batch B (T1 B1 is one sampling step).</summary>
public sealed record CharRnnWorkload(int T, int B)
{
    /// <summary>Shown in the summary table.</summary>
    public override string ToString() => $"T{T} B{B}";
}

/// <summary>
/// The CLI's char-rnn (vocabulary 62, embedding 64, one LSTM layer of 256, float32) exported to ONNX and run in ONNX Runtime (CPU provider,
/// its default threads) beside AutoDiffRnn's own inference (fused kernels, no grad) on the same ids and initial state: logits and final
/// state. The Ratio column is ONNX Runtime's time over ours. Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*OnnxCharRnn*'</c>.
/// </summary>
[Config(typeof(InProcessShortJob))]
public class OnnxCharRnnBenchmarks
{
    private const int Vocabulary = 62, EmbeddingSize = 64, Hidden = 256;
    private Embedding embedding = null!;
    private RecurrentLayer layer = null!;
    private Linear decoder = null!;
    private OnnxRuntimeSession session = null!;
    private int[] ids = [];
    private Dictionary<string, object> onnxInputs = [];
    private Tensor hidden = null!, cell = null!;

    /// <summary>A training-sized batch and one sampling step.</summary>
    public static IEnumerable<CharRnnWorkload> Workloads => [new(64, 32), new(1, 1), new(200, 1)];

    /// <summary>The current workload.</summary>
    [ParamsSource(nameof(Workloads))]
    public CharRnnWorkload Workload { get; set; } = new(1, 1);

    /// <summary>Builds the model (fixed seed), exports it once and opens the ONNX Runtime session.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(1);
        embedding = new Embedding(Vocabulary, EmbeddingSize, generator: generator);
        layer = new RecurrentLayer(RecurrentKind.Lstm, EmbeddingSize, Hidden, generator: generator) { UseFusedKernels = true };
        decoder = new Linear(Hidden, Vocabulary, generator: generator);
        session = new OnnxRuntimeSession(OnnxExport.ToBytes(OnnxExport.LanguageModel(embedding, layer, decoder, new OnnxExportOptions { InitialStateInputs = true })));
        ids = Enumerable.Range(0, Workload.T * Workload.B).Select(_ => generator.NextInt(Vocabulary)).ToArray();
        hidden = Tensor.Uniform(new Shape(1, Workload.B, Hidden), -1, 1, DType.Float32, generator);
        cell = Tensor.Uniform(new Shape(1, Workload.B, Hidden), -1, 1, DType.Float32, generator);
        onnxInputs = new Dictionary<string, object>
        {
            ["ids"] = (ids.Select(id => (long)id).ToArray(), new[] { Workload.T, Workload.B }), ["initial_h"] = hidden, ["initial_c"] = cell,
        };
    }

    /// <summary>Frees the native session.</summary>
    [GlobalCleanup]
    public void Cleanup() => session.Dispose();

    /// <summary>AutoDiffRnn: embedding, fused LSTM, projection, without recording.</summary>
    [Benchmark(Baseline = true)]
    public Tensor AutoDiffRnn()
    {
        using var _ = GradMode.NoGrad();
        var state = layer.Forward(embedding.Forward(ids, new Shape(Workload.T, Workload.B)), hidden, cell);
        return decoder.Forward(state.Output);
    }

    /// <summary>The exported graph in ONNX Runtime, inputs converted and outputs copied back into tensors.</summary>
    [Benchmark]
    public Tensor OnnxRuntime() => session.Run(onnxInputs)["logits"];
}
