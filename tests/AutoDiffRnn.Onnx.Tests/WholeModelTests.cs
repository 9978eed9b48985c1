using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Runtime;
using AutoDiffRnn.Onnx.Tests.Support;

namespace AutoDiffRnn.Onnx.Tests;

/// <summary>
/// Whole models: the char-rnn language model (ids in, logits and final state out), the CLI's many-to-one classifier (3 features → 2 classes)
/// and forecaster (1 value → 1 value); float32 through ONNX Runtime at several batch and sequence sizes on one session (dynamic axes),
/// float64 through the reference evaluator.
/// </summary>
public class WholeModelTests
{
    private const int Vocabulary = 11, EmbeddingSize = 5, Hidden = 6;

    private static (Embedding, RecurrentLayer, Linear) LanguageModel(RecurrentKind kind, int layers, bool batchFirst, DType dtype)
    {
        var generator = new Generator(11);
        var embedding = new Embedding(Vocabulary, EmbeddingSize, dtype: dtype, generator: generator);
        var layer = new RecurrentLayer(kind, EmbeddingSize, Hidden, layers, batchFirst: batchFirst, dropout: 0.2, dtype: dtype, generator: generator)
        {
            UseFusedKernels = true,
        };
        layer.Eval();
        return (embedding, layer, new Linear(Hidden, Vocabulary, dtype: dtype, generator: generator));
    }

    private static (Tensor Logits, RecurrentOutput State, long[] Ids, int[] Shape) LanguageForward(
        (Embedding Embedding, RecurrentLayer Layer, Linear Decoder) model, int steps, int batch, Tensor? h0, Tensor? c0)
    {
        var generator = new Generator((ulong)(steps * 100 + batch));
        var ids = Enumerable.Range(0, steps * batch).Select(_ => generator.NextInt(Vocabulary)).ToArray();
        var shape = model.Layer.BatchFirst ? new[] { batch, steps } : new[] { steps, batch };
        using var _ = GradMode.NoGrad();
        var state = model.Layer.Forward(model.Embedding.Forward(ids, new Shape(shape)), h0, c0);
        return (model.Decoder.Forward(state.Output), state, ids.Select(id => (long)id).ToArray(), shape);
    }

    public static TheoryData<RecurrentKind, int, bool> LanguageCases => new()
    {
        { RecurrentKind.Lstm, 1, false }, { RecurrentKind.Lstm, 2, true }, { RecurrentKind.Gru, 2, false }, { RecurrentKind.RnnTanh, 3, false },
        { RecurrentKind.RnnRelu, 1, true },
    };

    [Theory]
    [MemberData(nameof(LanguageCases))]
    public void Language_model_in_OnnxRuntime_matches_at_any_batch_and_length(RecurrentKind kind, int layers, bool batchFirst)
    {
        var model = LanguageModel(kind, layers, batchFirst, DType.Float32);
        var exported = OnnxExport.LanguageModel(model.Item1, model.Item2, model.Item3, new OnnxExportOptions { InitialStateInputs = true });
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(exported));
        foreach (var (steps, batch) in new[] { (7, 3), (1, 1), (12, 5) })
        {
            var generator = new Generator(3);
            var h0 = Tensor.Uniform(new Shape(layers, batch, Hidden), -1, 1, DType.Float32, generator);
            var c0 = kind == RecurrentKind.Lstm ? Tensor.Uniform(new Shape(layers, batch, Hidden), -1, 1, DType.Float32, generator) : null;
            var (logits, state, ids, shape) = LanguageForward(model, steps, batch, h0, c0);
            var inputs = new Dictionary<string, object> { ["ids"] = (ids, shape), ["initial_h"] = h0 };
            if (c0 is not null) inputs["initial_c"] = c0;
            var outputs = session.Run(inputs);
            Agreement.Close(logits, outputs["logits"], 1e-5, $"logits T{steps} B{batch}");
            Agreement.Close(state.Hidden, outputs["final_h"], 1e-5, "final_h");
            if (c0 is not null) Agreement.Close(state.Cell!, outputs["final_c"], 1e-5, "final_c");
        }
    }

    [Theory]
    [MemberData(nameof(LanguageCases))]
    public void Float64_language_model_matches_in_the_reference_evaluator(RecurrentKind kind, int layers, bool batchFirst)
    {
        var model = LanguageModel(kind, layers, batchFirst, DType.Float64);
        var exported = OnnxExport.LanguageModel(model.Item1, model.Item2, model.Item3);
        var (logits, state, ids, shape) = LanguageForward(model, 6, 2, null, null);
        var outputs = ReferenceEvaluator.Run(exported.Graph, new Dictionary<string, RefValue> { ["ids"] = new(ids.Select(v => (double)v).ToArray(), shape) });
        Agreement.Close(logits, outputs["logits"], 1e-12, "logits");
        Agreement.Close(state.Hidden, outputs["final_h"], 1e-12, "final_h");
        if (kind == RecurrentKind.Lstm) Agreement.Close(state.Cell!, outputs["final_c"], 1e-12, "final_c");
    }

    public static TheoryData<string, RecurrentKind, int, bool, int> ManyToOneCases => new()
    {
        { "classifier", RecurrentKind.Lstm, 3, false, 2 }, { "classifier", RecurrentKind.RnnTanh, 3, false, 2 }, { "classifier", RecurrentKind.Gru, 3, true, 2 },
        { "forecaster", RecurrentKind.Lstm, 1, false, 1 }, { "forecaster", RecurrentKind.Lstm, 1, true, 1 },
    };

    [Theory]
    [MemberData(nameof(ManyToOneCases))]
    public void Many_to_one_models_match_in_OnnxRuntime_and_in_float64(string task, RecurrentKind kind, int features, bool bidirectional, int outputs)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var generator = new Generator(21);
            var layer = new RecurrentLayer(kind, features, Hidden, 2, bidirectional: bidirectional, dtype: dtype, generator: generator);
            var head = new Linear(Hidden * layer.Directions, outputs, dtype: dtype, generator: generator);
            var input = Tensor.Uniform(new Shape(9, 4, features), -1, 1, dtype, generator);
            Tensor expected;
            using (GradMode.NoGrad()) expected = head.Forward(layer.Forward(input).LastOutput(layer.Directions));
            var model = OnnxExport.ManyToOne(layer, head);
            Assert.Equal("many_to_one", model.MetadataProps.Single(p => p.Key == OnnxExport.ModelKey).Value);
            if (dtype == DType.Float32)
            {
                using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(model));
                Agreement.Close(expected, session.Run(new Dictionary<string, object> { ["input"] = input })["prediction"], 1e-5, $"{task} float32");
            }
            else
            {
                var reference = ReferenceEvaluator.Run(model.Graph, new Dictionary<string, RefValue> { ["input"] = new(input.ToDoubleArray(), input.Shape.ToArray()) });
                Agreement.Close(expected, reference["prediction"], 1e-12, $"{task} float64");
            }
        }
    }

    [Fact]
    public void The_model_declares_opset_dynamic_axes_and_hyperparameters()
    {
        var model = LanguageModel(RecurrentKind.Gru, 2, false, DType.Float32);
        var exported = OnnxExport.LanguageModel(model.Item1, model.Item2, model.Item3,
            new OnnxExportOptions { InitialStateInputs = true, Metadata = new Dictionary<string, string> { ["vocabulary"] = "\"abc\"" } });
        Assert.Equal(17, exported.OpsetImport.Single().Version);
        var ids = exported.Graph.Input.Single(i => i.Name == "ids");
        Assert.Equal(["sequence", "batch"], ids.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        Assert.Equal(OnnxElementType.Int64, ids.Type.TensorType.ElemType);
        var logits = exported.Graph.Output.Single(o => o.Name == "logits").Type.TensorType.Shape.Dim;
        Assert.Equal("sequence", logits[0].DimParam);
        Assert.Equal(Vocabulary, logits[2].DimValue);
        var metadata = exported.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("gru", metadata["autodiffrnn.kind"]);
        Assert.Equal("2", metadata["autodiffrnn.num_layers"]);
        Assert.Equal("6", metadata["autodiffrnn.hidden_size"]);
        Assert.Equal("float32", metadata["autodiffrnn.dtype"]);
        Assert.Equal("\"abc\"", metadata["vocabulary"]);
        Assert.Equal(2, exported.Graph.Node.Count(n => n.OpType == "GRU"));
        Assert.All(exported.Graph.Node.Where(n => n.OpType == "GRU"), n => Assert.Equal(1, n.Attribute.Single(a => a.Name == "linear_before_reset").I));
        Assert.DoesNotContain(exported.Graph.Node, n => n.OpType == "Dropout");
    }

    [Fact]
    public void Linear_and_embedding_in_float64_match_in_OnnxRuntime_to_1e12()
    {
        var generator = new Generator(5);
        var embedding = new Embedding(13, 7, dtype: DType.Float64, generator: generator);
        var linear = new Linear(7, 4, dtype: DType.Float64, generator: generator);
        var graph = new OnnxGraphBuilder("embedding_linear", DType.Float64);
        var ids = graph.Input("ids", OnnxElementType.Int64, "batch", "sequence");
        var projected = ModuleExport.Linear(graph, linear, ModuleExport.Embedding(graph, embedding, ids, "embedding"), "linear");
        graph.Output(projected, "output", OnnxElementType.Double, "batch", "sequence", 4);
        var idValues = Enumerable.Range(0, 10).Select(i => (i * 7) % 13).ToArray();
        Tensor expected;
        using (GradMode.NoGrad()) expected = linear.Forward(embedding.Forward(idValues, new Shape(2, 5)));
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(graph.ToModel(new Dictionary<string, string>())));
        var output = session.Run(new Dictionary<string, object> { ["ids"] = (idValues.Select(v => (long)v).ToArray(), new[] { 2, 5 }) })["output"];
        Assert.Equal(DType.Float64, output.DType);
        Agreement.Close(expected, output, 1e-12, "embedding + linear float64");
    }
}
