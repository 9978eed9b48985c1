using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Import;
using AutoDiffRnn.Onnx.Runtime;
using AutoDiffRnn.Onnx.Tests.Support;
using Onnx;

namespace AutoDiffRnn.Onnx.Tests;

/// <summary>
/// OnnxImport: the exporter's graphs come back exactly (every parameter bit for bit); graphs shaped as PyTorch's exporter writes them
/// (weights already in ONNX layout, Squeeze/Gemm/Constant around the recurrent nodes) import into modules whose forward matches ONNX Runtime
/// on the same graph; anything else is refused naming the node.
/// </summary>
public class ImportTests
{
    public static TheoryData<RecurrentCase> RoundTripCases()
    {
        var data = new TheoryData<RecurrentCase>();
        foreach (var c in RecurrentCase.Grid().Where(c => !c.InitialState && !c.Lengths && c.Layers != 2)) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Export_then_import_gives_the_same_layer_bit_for_bit(RecurrentCase c)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var layer = c.Layer(dtype);
            var bytes = OnnxExport.ToBytes(OnnxExport.Recurrent(layer, c.Options(dtype)));
            var imported = OnnxImport.Read(ModelProto.Parser.ParseFrom(bytes));
            var back = imported.Recurrent;
            Assert.Equal((layer.Kind, layer.InputSize, layer.HiddenSize, layer.NumLayers, layer.Directions, layer.HasBias, layer.BatchFirst, layer.DropoutProbability),
                (back.Kind, back.InputSize, back.HiddenSize, back.NumLayers, back.Directions, back.HasBias, back.BatchFirst, back.DropoutProbability));
            AssertSameParameters(layer, back);
            Assert.Null(imported.Embedding);
            Assert.Equal(Readout.None, imported.Readout);
        }
    }

    [Fact]
    public void Whole_models_round_trip_exactly_with_their_readout()
    {
        var generator = new Generator(9);
        var embedding = new Embedding(17, 5, generator: generator);
        var layer = new RecurrentLayer(RecurrentKind.Lstm, 5, 8, 2, generator: generator);
        var decoder = new Linear(8, 17, generator: generator);
        var language = OnnxImport.Read(ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(OnnxExport.LanguageModel(embedding, layer, decoder))));
        AssertSameParameters(embedding, language.Embedding!);
        AssertSameParameters(layer, language.Recurrent);
        AssertSameParameters(decoder, language.Head!);
        Assert.Equal(Readout.EveryStep, language.Readout);

        var classifier = new RecurrentLayer(RecurrentKind.Gru, 3, 4, 1, bidirectional: true, dtype: DType.Float64, generator: generator);
        var head = new Linear(8, 2, dtype: DType.Float64, generator: generator);
        var manyToOne = OnnxImport.Read(OnnxExport.ManyToOne(classifier, head));
        AssertSameParameters(classifier, manyToOne.Recurrent);
        AssertSameParameters(head, manyToOne.Head!);
        Assert.Equal(Readout.LastState, manyToOne.Readout);
        Assert.Equal(["head.bias", "head.weight", "rnn.bias_hh_l0", "rnn.bias_hh_l0_reverse"],
            manyToOne.NamedParameters().Select(p => p.Name).Order().Take(4));
    }

    [Fact]
    public void A_PyTorch_shaped_LSTM_language_model_imports_and_matches_OnnxRuntime()
    {
        const int vocabulary = 9, embed = 4, hidden = 5, steps = 6, batch = 2;
        var generator = new Generator(33);
        double[] Random(int count) => Enumerable.Range(0, count).Select(_ => generator.NextDouble() - 0.5).ToArray();
        var graph = new OnnxGraphBuilder("torch_jit", DType.Float32);
        graph.Input("input.1", OnnxElementType.Int64, "sequence", "batch");
        graph.Input("h0", OnnxElementType.Float, 1, "batch", hidden);
        graph.Input("c0", OnnxElementType.Float, 1, "batch", hidden);
        var table = graph.Initializer("embedding.weight", Random(vocabulary * embed), vocabulary, embed);
        var gathered = graph.Node("Gather", [table, "input.1"], "/embedding/Gather_output_0");
        var w = graph.Initializer("onnx::LSTM_101", Random(4 * hidden * embed), 1, 4 * hidden, embed);
        var r = graph.Initializer("onnx::LSTM_102", Random(4 * hidden * hidden), 1, 4 * hidden, hidden);
        var b = graph.Initializer("onnx::LSTM_103", Random(8 * hidden), 1, 8 * hidden);
        var outputs = graph.Node("LSTM", [gathered, w, r, b, "", "h0", "c0"], ["/rnn/LSTM_output_0", "hn", "cn"], OnnxAttribute.Int("hidden_size", hidden));
        var axes = graph.Node("Constant", [], "/rnn/Constant_output_0", new AttributeProto
        {
            Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
            T = new TensorProto { DataType = OnnxElementType.Int64, Dims = { 1 }, Int64Data = { 1 } },
        });
        var squeezed = graph.Node("Squeeze", [outputs[0], axes], "/rnn/Squeeze_output_0");
        var matmul = graph.Node("MatMul", [squeezed, graph.Initializer("onnx::MatMul_120", Random(hidden * vocabulary), hidden, vocabulary)], "/decoder/MatMul_output_0");
        var logits = graph.Node("Add", [graph.Initializer("decoder.bias", Random(vocabulary), vocabulary), matmul], "/decoder/Add_output_0");
        graph.Output(logits, "logits", OnnxElementType.Float, "sequence", "batch", vocabulary);
        graph.Output(outputs[1], "h_n", OnnxElementType.Float, 1, "batch", hidden);
        var model = graph.ToModel(new Dictionary<string, string>());

        var imported = OnnxImport.Read(model);
        Assert.Equal(Readout.EveryStep, imported.Readout);
        Assert.Equal(RecurrentKind.Lstm, imported.Recurrent.Kind);
        var ids = Enumerable.Range(0, steps * batch).Select(i => (i * 5 + 2) % vocabulary).ToArray();
        var h0 = Tensor.Uniform(new Shape(1, batch, hidden), -1, 1, DType.Float32, generator);
        var c0 = Tensor.Uniform(new Shape(1, batch, hidden), -1, 1, DType.Float32, generator);
        Tensor expectedLogits, expectedHidden;
        using (GradMode.NoGrad())
        {
            var state = imported.Recurrent.Forward(imported.Embedding!.Forward(ids, new Shape(steps, batch)), h0, c0);
            (expectedLogits, expectedHidden) = (imported.Head!.Forward(state.Output), state.Hidden);
        }
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(model));
        var runtime = session.Run(new Dictionary<string, object>
        {
            ["input.1"] = (ids.Select(v => (long)v).ToArray(), new[] { steps, batch }), ["h0"] = h0, ["c0"] = c0,
        });
        Agreement.Close(expectedLogits, runtime["logits"], 1e-5, "imported logits");
        Agreement.Close(expectedHidden, runtime["h_n"], 1e-5, "imported h_n");
    }

    [Fact]
    public void A_PyTorch_shaped_stacked_bidirectional_GRU_classifier_with_Gemm_imports_and_matches_OnnxRuntime()
    {
        const int features = 3, hidden = 4, classes = 2, steps = 7, batch = 3;
        var generator = new Generator(44);
        double[] Random(int count) => Enumerable.Range(0, count).Select(_ => generator.NextDouble() - 0.5).ToArray();
        var graph = new OnnxGraphBuilder("torch_jit", DType.Float32);
        graph.Input("x", OnnxElementType.Float, "sequence", "batch", features);
        var gru0 = graph.Node("GRU", ["x", graph.Initializer("onnx::GRU_1", Random(2 * 3 * hidden * features), 2, 3 * hidden, features),
                graph.Initializer("onnx::GRU_2", Random(2 * 3 * hidden * hidden), 2, 3 * hidden, hidden), graph.Initializer("onnx::GRU_3", Random(2 * 6 * hidden), 2, 6 * hidden)],
            ["/gru/GRU_output_0", "/gru/GRU_output_1"],
            OnnxAttribute.Int("hidden_size", hidden), OnnxAttribute.String("direction", "bidirectional"), OnnxAttribute.Int("linear_before_reset", 1));
        var transposed = graph.Node("Transpose", [gru0[0]], "/gru/Transpose_output_0", OnnxAttribute.Ints("perm", 0, 2, 1, 3));
        var merged = graph.Node("Reshape", [transposed, graph.Int64Initializer("/gru/Constant_1", [0, 0, -1], 3)], "/gru/Reshape_output_0");
        var gru1 = graph.Node("GRU", [merged, graph.Initializer("onnx::GRU_4", Random(2 * 3 * hidden * 2 * hidden), 2, 3 * hidden, 2 * hidden),
                graph.Initializer("onnx::GRU_5", Random(2 * 3 * hidden * hidden), 2, 3 * hidden, hidden), graph.Initializer("onnx::GRU_6", Random(2 * 6 * hidden), 2, 6 * hidden)],
            ["/gru_1/GRU_output_0", "/gru_1/GRU_output_1"],
            OnnxAttribute.Int("hidden_size", hidden), OnnxAttribute.String("direction", "bidirectional"), OnnxAttribute.Int("linear_before_reset", 1));
        var last = graph.Node("Transpose", [gru1[1]], "/Transpose_output_0", OnnxAttribute.Ints("perm", 1, 0, 2));
        var flat = graph.Node("Reshape", [last, graph.Int64Initializer("/Constant_2", [0, -1], 2)], "/Reshape_output_0");
        var prediction = graph.Node("Gemm", [flat, graph.Initializer("fc.weight", Random(classes * 2 * hidden), classes, 2 * hidden), graph.Initializer("fc.bias", Random(classes), classes)],
            "/fc/Gemm_output_0", OnnxAttribute.Float("alpha", 1), OnnxAttribute.Float("beta", 1), OnnxAttribute.Int("transB", 1));
        graph.Output(prediction, "prediction", OnnxElementType.Float, "batch", classes);
        var model = graph.ToModel(new Dictionary<string, string>());

        var imported = OnnxImport.Read(model);
        Assert.Equal(Readout.LastState, imported.Readout);
        Assert.Equal((2, 2), (imported.Recurrent.NumLayers, imported.Recurrent.Directions));
        var x = Tensor.Uniform(new Shape(steps, batch, features), -1, 1, DType.Float32, generator);
        Tensor expected;
        using (GradMode.NoGrad()) expected = imported.Head!.Forward(imported.Recurrent.Forward(x).LastOutput(2));
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(model));
        Agreement.Close(expected, session.Run(new Dictionary<string, object> { ["x"] = x })["prediction"], 1e-5, "imported GRU classifier");
    }

    [Fact]
    public void An_imported_model_fine_tunes_its_loss_goes_down()
    {
        var generator = new Generator(12);
        var layer = new RecurrentLayer(RecurrentKind.Lstm, 3, 8, generator: generator);
        var imported = OnnxImport.Read(OnnxExport.ManyToOne(layer, new Linear(8, 2, generator: generator)));
        Assert.All(imported.Parameters(), p => Assert.True(p.RequiresGrad));
        var input = Tensor.Uniform(new Shape(6, 16, 3), -1, 1, DType.Float32, generator);
        var labels = Enumerable.Range(0, 16).Select(b => input[0, b, 0] > 0 ? 1 : 0).ToArray();
        var optimizer = new Optim.Adam(imported.Parameters(), 0.05);
        double Loss()
        {
            optimizer.ZeroGrad();
            var loss = Losses.Loss.CrossEntropy(imported.Head!.Forward(imported.Recurrent.Forward(input).LastOutput(1)), labels);
            loss.Backward();
            return loss.ToScalar();
        }
        double first = Loss();
        Assert.All(imported.Parameters(), p => Assert.NotNull(p.Grad));
        for (int step = 0; step < 30; step++) { optimizer.Step(); Loss(); }
        Assert.True(Loss() < 0.5 * first, $"loss {first} did not halve in 30 steps");
    }

    [Fact]
    public void Anything_else_is_refused_naming_the_node()
    {
        var layer = new RecurrentLayer(RecurrentKind.Gru, 3, 4, generator: new Generator(1));
        var model = OnnxExport.ManyToOne(layer, new Linear(4, 2, generator: new Generator(2)));
        model.Graph.Node.Add(new NodeProto { OpType = "Softmax", Name = "probabilities", Input = { "prediction" }, Output = { "p" } });
        var softmax = Assert.Throws<NotSupportedException>(() => OnnxImport.Read(model));
        Assert.Contains("'probabilities' (Softmax)", softmax.Message);

        var plain = OnnxExport.Recurrent(layer);
        var gru = plain.Graph.Node.Single(n => n.OpType == "GRU");
        gru.Attribute.Single(a => a.Name == "linear_before_reset").I = 0;
        var reset = Assert.Throws<NotSupportedException>(() => OnnxImport.Read(plain));
        Assert.Contains($"'{gru.Name}' (GRU)", reset.Message);
        Assert.Contains("linear_before_reset", reset.Message);

        var lstm = OnnxExport.Recurrent(new RecurrentLayer(RecurrentKind.Lstm, 3, 4, generator: new Generator(3)));
        var node = lstm.Graph.Node.Single(n => n.OpType == "LSTM");
        while (node.Input.Count < 7) node.Input.Add("");
        node.Input.Add(node.Input[3]);
        Assert.Contains("peepholes", Assert.Throws<NotSupportedException>(() => OnnxImport.Read(lstm)).Message);

        var empty = new ModelProto { Graph = new GraphProto() };
        Assert.Contains("no RNN, LSTM or GRU", Assert.Throws<InvalidDataException>(() => OnnxImport.Read(empty)).Message);
    }

    private static void AssertSameParameters(Module expected, Module actual)
    {
        var mine = expected.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var theirs = actual.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(mine.Keys.Order(), theirs.Keys.Order());
        foreach (var (name, value) in mine)
        {
            Assert.Equal(value.DType, theirs[name].DType);
            Assert.Equal(value.Shape, theirs[name].Shape);
            Assert.Equal(value.ToDoubleArray(), theirs[name].ToDoubleArray());
        }
    }
}
