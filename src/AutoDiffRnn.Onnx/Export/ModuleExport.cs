using Onnx;
using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Onnx.Export;

/// <summary>The graph values a recurrent layer's export produces.</summary>
/// <param name="Output">Every step's top-layer state, directions concatenated, time-major: [T, B, D·H].</param>
/// <param name="Hidden">The final hidden states [L·D, B, H], PyTorch's h_n order.</param>
/// <param name="Cell">The final LSTM cell states [L·D, B, H], or null.</param>
/// <param name="LastLayerHidden">The top layer's final states [D, B, H] (forward, then reverse).</param>
public sealed record RecurrentValues(string Output, string Hidden, string? Cell, string LastLayerHidden);

/// <summary>
/// Writes AutoDiffRnn's modules into an <see cref="OnnxGraphBuilder"/>: Linear as MatMul + Add, Embedding as Gather, Dropout as nothing
/// (the identity at inference, as PyTorch's exporter does in eval mode), recurrent layers as one ONNX RNN/LSTM/GRU node per layer with the
/// weights reordered (<see cref="RecurrentGateLayout"/>).
/// </summary>
public static class ModuleExport
{
    /// <summary>y = x Wᵀ + b over the last axis of any-rank <paramref name="input"/>: MatMul with Wᵀ [in, out], then Add b.</summary>
    public static string Linear(OnnxGraphBuilder graph, Nn.Linear linear, string input, string name)
    {
        int outFeatures = linear.Weight.Shape[0], inFeatures = linear.Weight.Shape[1];
        var transposed = linear.Weight.Detach().Transpose(0, 1).ToDoubleArray();
        var product = graph.Node("MatMul", [input, graph.Initializer(name + ".weight_t", transposed, inFeatures, outFeatures)], name + "_matmul");
        return linear.Bias is null
            ? product
            : graph.Node("Add", [product, graph.Initializer(name + ".bias", linear.Bias.ToDoubleArray(), outFeatures)], name + "_out");
    }

    /// <summary>The rows of the table for int64 <paramref name="ids"/> of any shape: Gather on axis 0.</summary>
    public static string Embedding(OnnxGraphBuilder graph, Nn.Embedding embedding, string ids, string name) =>
        graph.Node("Gather", [graph.Initializer(name + ".weight", embedding.Weight.ToDoubleArray(), embedding.Weight.Shape[0], embedding.Weight.Shape[1]), ids],
            name + "_out", OnnxAttribute.Int("axis", 0));

    /// <summary>Dropout at inference is the identity: nothing is written and the input passes on.</summary>
    public static string Dropout(Nn.Dropout dropout, string input) => dropout is null ? throw new ArgumentNullException(nameof(dropout)) : input;

    /// <summary>
    /// A (stacked, optionally bidirectional) recurrent layer over a time-major input [T, B, I]: one ONNX node per layer, the layers joined by
    /// Transpose [T, D, B, H] → [T, B, D, H] and Reshape to [T, B, D·H]. Optional initial states [L·D, B, H] are sliced per layer;
    /// <paramref name="sequenceLengths"/> is an int32 [B] value.
    /// </summary>
    public static RecurrentValues Recurrent(OnnxGraphBuilder graph, RecurrentLayer layer, string input, string? initialHidden, string? initialCell,
        string? sequenceLengths, string name) =>
        Recurrent(graph, layer, input, initialHidden, initialCell, sequenceLengths, name, RecurrentGateLayout.OnnxFromPyTorch(layer.Kind));

    /// <summary>As the public overload, with the gate order given (tests write a wrong one to prove the comparison catches it).</summary>
    internal static RecurrentValues Recurrent(OnnxGraphBuilder graph, RecurrentLayer layer, string input, string? initialHidden, string? initialCell,
        string? sequenceLengths, string name, int[] gateOrder)
    {
        if (initialCell is not null && layer.Kind != RecurrentKind.Lstm)
            throw new ArgumentException($"ONNX export of {name}: only an LSTM takes an initial cell state");
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToDoubleArray());
        int hidden = layer.HiddenSize, directions = layer.Directions, gates = RecurrentGateLayout.Gates(layer.Kind);
        string op = RecurrentGateLayout.OperatorName(layer.Kind);
        var reshapeToFeatures = graph.Int64Initializer(name + ".merge_directions", [0, 0, -1], 3);
        string layerInput = input;
        var hiddens = new List<string>();
        var cells = new List<string>();
        string lastHidden = "";
        for (int l = 0; l < layer.NumLayers; l++)
        {
            int inputSize = l == 0 ? layer.InputSize : hidden * directions;
            var w = new double[directions * gates * hidden * inputSize];
            var r = new double[directions * gates * hidden * hidden];
            var b = layer.HasBias ? new double[directions * 2 * gates * hidden] : null;
            for (int d = 0; d < directions; d++)
            {
                string suffix = $"_l{l}" + (d == 1 ? "_reverse" : "");
                int wSize = gates * hidden * inputSize, rSize = gates * hidden * hidden, bSize = gates * hidden;
                RecurrentGateLayout.ReorderChunks(parameters["weight_ih" + suffix], w.AsSpan(d * wSize, wSize), hidden, inputSize, gateOrder);
                RecurrentGateLayout.ReorderChunks(parameters["weight_hh" + suffix], r.AsSpan(d * rSize, rSize), hidden, hidden, gateOrder);
                if (b is not null)
                {
                    RecurrentGateLayout.ReorderChunks(parameters["bias_ih" + suffix], b.AsSpan(2 * d * bSize, bSize), hidden, 1, gateOrder);
                    RecurrentGateLayout.ReorderChunks(parameters["bias_hh" + suffix], b.AsSpan((2 * d + 1) * bSize, bSize), hidden, 1, gateOrder);
                }
            }
            string prefix = $"{name}.l{l}";
            var inputs = new List<string>
            {
                layerInput,
                graph.Initializer(prefix + ".W", w, directions, gates * hidden, inputSize),
                graph.Initializer(prefix + ".R", r, directions, gates * hidden, hidden),
                b is null ? "" : graph.Initializer(prefix + ".B", b, directions, 2 * gates * hidden),
                sequenceLengths ?? "",
                initialHidden is null ? "" : LayerSlice(graph, initialHidden, l, directions, layer.NumLayers, prefix + ".initial_h"),
            };
            if (layer.Kind == RecurrentKind.Lstm)
                inputs.Add(initialCell is null ? "" : LayerSlice(graph, initialCell, l, directions, layer.NumLayers, prefix + ".initial_c"));
            while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
            var attributes = new List<AttributeProto>
            {
                OnnxAttribute.Int("hidden_size", hidden),
                OnnxAttribute.String("direction", directions == 2 ? "bidirectional" : "forward"),
            };
            if (layer.Kind == RecurrentKind.Gru) attributes.Add(OnnxAttribute.Int("linear_before_reset", 1));
            if (layer.Kind is RecurrentKind.RnnTanh or RecurrentKind.RnnRelu)
                attributes.Add(OnnxAttribute.Strings("activations",
                    Enumerable.Repeat(layer.Kind == RecurrentKind.RnnRelu ? "Relu" : "Tanh", directions).ToArray()));
            string[] outputStems = layer.Kind == RecurrentKind.Lstm ? [prefix + ".Y", prefix + ".Y_h", prefix + ".Y_c"] : [prefix + ".Y", prefix + ".Y_h"];
            var outputs = graph.Node(op, inputs, outputStems,
                [.. attributes]);
            hiddens.Add(outputs[1]);
            if (layer.Kind == RecurrentKind.Lstm) cells.Add(outputs[2]);
            lastHidden = outputs[1];
            var stepMajor = graph.Node("Transpose", [outputs[0]], prefix + ".Y_tbdh", OnnxAttribute.Ints("perm", 0, 2, 1, 3));
            layerInput = graph.Node("Reshape", [stepMajor, reshapeToFeatures], prefix + ".output");
        }
        string Join(List<string> states, string stem) => states.Count == 1 ? states[0] : graph.Node("Concat", states, stem, OnnxAttribute.Int("axis", 0));
        return new RecurrentValues(layerInput, Join(hiddens, name + ".h_n"), cells.Count == 0 ? null : Join(cells, name + ".c_n"), lastHidden);
    }

    /// <summary>The top layer's final state per sequence, [B, D·H] (forward then reverse), as <see cref="RecurrentOutput.LastOutput()"/>.</summary>
    public static string LastOutput(OnnxGraphBuilder graph, RecurrentValues values, string name)
    {
        var batchMajor = graph.Node("Transpose", [values.LastLayerHidden], name + ".last_bdh", OnnxAttribute.Ints("perm", 1, 0, 2));
        return graph.Node("Reshape", [batchMajor, graph.Int64Initializer(name + ".flatten", [0, -1], 2)], name + ".last_output");
    }

    private static string LayerSlice(OnnxGraphBuilder graph, string state, int layer, int directions, int layers, string name)
    {
        if (layers == 1) return state;
        return graph.Node("Slice",
            [state, graph.Int64Initializer(name + ".starts", [layer * directions], 1), graph.Int64Initializer(name + ".ends", [(layer + 1) * directions], 1),
             graph.Int64Initializer(name + ".axes", [0], 1)],
            name);
    }
}
