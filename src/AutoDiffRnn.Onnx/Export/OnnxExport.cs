using System.Globalization;
using AutoDiffRnn.Nn;
using Onnx;

namespace AutoDiffRnn.Onnx.Export;

/// <summary>
/// Exports AutoDiffRnn's recurrent modules and models as ONNX models (opset 17, dynamic batch and sequence axes, hyperparameters in
/// metadata_props under <c>autodiffrnn.*</c>). Graph inputs and outputs follow PyTorch's names: input, initial_h, initial_c, sequence_lens;
/// output, h_n, c_n.
/// </summary>
public static class OnnxExport
{
    /// <summary>The metadata key naming the graph's structure: recurrent, language_model or many_to_one.</summary>
    public const string ModelKey = "autodiffrnn.model";

    /// <summary>A recurrent layer alone: input [T, B, I] ([B, T, I] when batch-first) → output, h_n (, c_n).</summary>
    public static ModelProto Recurrent(RecurrentLayer layer, OnnxExportOptions? options = null) =>
        Recurrent(layer, options ?? new(), RecurrentGateLayout.OnnxFromPyTorch(layer.Kind));

    internal static ModelProto Recurrent(RecurrentLayer layer, OnnxExportOptions options, int[] gateOrder)
    {
        var graph = new OnnxGraphBuilder("recurrent", options.DType ?? DTypeOf(layer));
        int type = OnnxElementType.Of(graph.DType);
        var input = graph.Input("input", type, layer.BatchFirst ? ["batch", "sequence", layer.InputSize] : ["sequence", "batch", layer.InputSize]);
        var (initialHidden, initialCell, lengths) = StateInputs(graph, layer, options);
        var timeMajor = layer.BatchFirst ? graph.Node("Transpose", [input], "input_tbi", OnnxAttribute.Ints("perm", 1, 0, 2)) : input;
        var values = ModuleExport.Recurrent(graph, layer, timeMajor, initialHidden, initialCell, lengths, "rnn", gateOrder);
        var output = layer.BatchFirst ? graph.Node("Transpose", [values.Output], "output_bt", OnnxAttribute.Ints("perm", 1, 0, 2)) : values.Output;
        int features = layer.Directions * layer.HiddenSize;
        graph.Output(output, "output", type, layer.BatchFirst ? ["batch", "sequence", features] : ["sequence", "batch", features]);
        DeclareStates(graph, layer, values, type, "h_n", "c_n");
        return graph.ToModel(Metadata(layer, "recurrent", graph.DType, options));
    }

    /// <summary>
    /// A language model (the CLI's char-rnn): int64 ids [T, B] ([B, T] when batch-first) → Embedding → recurrent layer → Linear:
    /// logits [T, B, V], final_h (, final_c) [L·D, B, H].
    /// </summary>
    public static ModelProto LanguageModel(Nn.Embedding embedding, RecurrentLayer layer, Nn.Linear decoder, OnnxExportOptions? options = null)
    {
        options ??= new();
        var graph = new OnnxGraphBuilder("language_model", options.DType ?? DTypeOf(layer));
        int type = OnnxElementType.Of(graph.DType);
        var ids = graph.Input("ids", OnnxElementType.Int64, layer.BatchFirst ? ["batch", "sequence"] : ["sequence", "batch"]);
        var (initialHidden, initialCell, lengths) = StateInputs(graph, layer, options);
        var timeMajorIds = layer.BatchFirst ? graph.Node("Transpose", [ids], "ids_tb", OnnxAttribute.Ints("perm", 1, 0)) : ids;
        var embedded = ModuleExport.Embedding(graph, embedding, timeMajorIds, "embedding");
        var values = ModuleExport.Recurrent(graph, layer, embedded, initialHidden, initialCell, lengths, "rnn");
        var logits = ModuleExport.Linear(graph, decoder, values.Output, "decoder");
        if (layer.BatchFirst) logits = graph.Node("Transpose", [logits], "logits_bt", OnnxAttribute.Ints("perm", 1, 0, 2));
        int vocabulary = decoder.Weight.Shape[0];
        graph.Output(logits, "logits", type, layer.BatchFirst ? ["batch", "sequence", vocabulary] : ["sequence", "batch", vocabulary]);
        DeclareStates(graph, layer, values, type, "final_h", "final_c");
        var metadata = Metadata(layer, "language_model", graph.DType, options);
        metadata["autodiffrnn.vocabulary_size"] = vocabulary.ToString(CultureInfo.InvariantCulture);
        metadata["autodiffrnn.embedding_size"] = embedding.Weight.Shape[1].ToString(CultureInfo.InvariantCulture);
        return graph.ToModel(metadata);
    }

    /// <summary>
    /// A many-to-one model (the CLI's classifier and forecaster): input [T, B, I] → recurrent layer → the top layer's final state
    /// [B, D·H] (<see cref="RecurrentOutput.LastOutput()"/>) → Linear head: prediction [B, out].
    /// </summary>
    public static ModelProto ManyToOne(RecurrentLayer layer, Nn.Linear head, OnnxExportOptions? options = null)
    {
        options ??= new();
        var graph = new OnnxGraphBuilder("many_to_one", options.DType ?? DTypeOf(layer));
        int type = OnnxElementType.Of(graph.DType);
        var input = graph.Input("input", type, layer.BatchFirst ? ["batch", "sequence", layer.InputSize] : ["sequence", "batch", layer.InputSize]);
        var (initialHidden, initialCell, lengths) = StateInputs(graph, layer, options);
        var timeMajor = layer.BatchFirst ? graph.Node("Transpose", [input], "input_tbi", OnnxAttribute.Ints("perm", 1, 0, 2)) : input;
        var values = ModuleExport.Recurrent(graph, layer, timeMajor, initialHidden, initialCell, lengths, "rnn");
        var prediction = ModuleExport.Linear(graph, head, ModuleExport.LastOutput(graph, values, "rnn"), "head");
        graph.Output(prediction, "prediction", type, "batch", head.Weight.Shape[0]);
        return graph.ToModel(Metadata(layer, "many_to_one", graph.DType, options));
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> (atomically: a temporary file, then a rename).</summary>
    public static void Save(ModelProto model, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var coded = new Google.Protobuf.CodedOutputStream(stream))
            model.WriteTo(coded);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The model's serialized bytes (what ONNX Runtime takes in memory).</summary>
    public static byte[] ToBytes(ModelProto model) => Google.Protobuf.MessageExtensions.ToByteArray(model);

    private static (string? Hidden, string? Cell, string? Lengths) StateInputs(OnnxGraphBuilder graph, RecurrentLayer layer, OnnxExportOptions options)
    {
        int type = OnnxElementType.Of(graph.DType), states = layer.NumLayers * layer.Directions;
        string? hidden = null, cell = null, lengths = null;
        if (options.InitialStateInputs)
        {
            hidden = graph.Input("initial_h", type, states, "batch", layer.HiddenSize);
            if (layer.Kind == RecurrentKind.Lstm) cell = graph.Input("initial_c", type, states, "batch", layer.HiddenSize);
        }
        if (options.SequenceLengthsInput) lengths = graph.Input("sequence_lens", OnnxElementType.Int32, "batch");
        return (hidden, cell, lengths);
    }

    private static void DeclareStates(OnnxGraphBuilder graph, RecurrentLayer layer, RecurrentValues values, int type, string hiddenName, string cellName)
    {
        int states = layer.NumLayers * layer.Directions;
        graph.Output(values.Hidden, hiddenName, type, states, "batch", layer.HiddenSize);
        if (values.Cell is not null) graph.Output(values.Cell, cellName, type, states, "batch", layer.HiddenSize);
    }

    private static DType DTypeOf(Module module) => module.Parameters().First().DType;

    private static Dictionary<string, string> Metadata(RecurrentLayer layer, string model, DType dtype, OnnxExportOptions options)
    {
        var metadata = new Dictionary<string, string>
        {
            [ModelKey] = model,
            ["autodiffrnn.dtype"] = dtype.Name(),
            ["autodiffrnn.kind"] = layer.Kind switch
            {
                RecurrentKind.Lstm => "lstm", RecurrentKind.Gru => "gru", RecurrentKind.RnnRelu => "rnn_relu", _ => "rnn_tanh",
            },
            ["autodiffrnn.input_size"] = layer.InputSize.ToString(CultureInfo.InvariantCulture),
            ["autodiffrnn.hidden_size"] = layer.HiddenSize.ToString(CultureInfo.InvariantCulture),
            ["autodiffrnn.num_layers"] = layer.NumLayers.ToString(CultureInfo.InvariantCulture),
            ["autodiffrnn.bidirectional"] = (layer.Directions == 2) ? "true" : "false",
            ["autodiffrnn.bias"] = layer.HasBias ? "true" : "false",
            ["autodiffrnn.batch_first"] = layer.BatchFirst ? "true" : "false",
            ["autodiffrnn.dropout"] = layer.DropoutProbability.ToString("R", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in options.Metadata) metadata[key] = value;
        return metadata;
    }
}
