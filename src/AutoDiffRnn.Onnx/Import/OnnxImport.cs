using System.Runtime.InteropServices;
using AutoDiffRnn.Nn;
using Onnx;

namespace AutoDiffRnn.Onnx.Import;

/// <summary>
/// Reads ONNX models whose recurrent part is ONNX RNN/LSTM/GRU nodes, with Gather (embedding) and MatMul + Add or Gemm (Linear) on
/// initializers around them and shape plumbing between — the graphs <see cref="Export.OnnxExport"/> writes and the shape PyTorch's exporter
/// gives nn.Embedding, nn.RNN/LSTM/GRU and nn.Linear — into AutoDiffRnn modules, the weights reordered back to PyTorch's gate order.
/// Any other operator, or an RNN feature PyTorch's layers do not have (peepholes, clip, GRU without linear_before_reset), is refused with
/// an exception naming the node.
/// </summary>
public static class OnnxImport
{
    private static readonly HashSet<string> Plumbing =
    [
        "Identity", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Slice", "Concat", "Shape", "Cast", "Constant", "ConstantOfShape",
        "Expand", "Dropout", "Flatten",
    ];

    /// <summary>Reads a model file.</summary>
    public static ImportedModel Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX import: {path} does not exist");
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException($"ONNX import: {path} is not an ONNX model ({e.Message})"); }
        return Read(model);
    }

    /// <summary>Reads a model.</summary>
    public static ImportedModel Read(ModelProto model)
    {
        var graph = model.Graph ?? throw new InvalidDataException("ONNX import: the model has no graph");
        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
            if (node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is TensorProto value) initializers[node.Output[0]] = value;
        var producers = new Dictionary<string, (NodeProto Node, int Output)>();
        foreach (var node in graph.Node)
            for (int i = 0; i < node.Output.Count; i++) producers[node.Output[i]] = (node, i);

        Nn.Embedding? embedding = null;
        Nn.Linear? head = null;
        NodeProto? headNode = null;
        var recurrent = new List<NodeProto>();
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            string op = node.OpType;
            if (op is "RNN" or "LSTM" or "GRU") recurrent.Add(node);
            else if (op == "Gather" && node.Input.Count > 0 && initializers.TryGetValue(node.Input[0], out var table) && IsFloat(table))
            {
                if (embedding is not null) throw Refuse(node, "a second embedding table");
                embedding = new Nn.Embedding((int)table.Dims[0], (int)table.Dims[1], dtype: DTypeOf(table));
                embedding.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = ToTensor(table) });
            }
            else if (op is "MatMul" or "Gemm" && node.Input.Count > 1 && initializers.TryGetValue(node.Input[1], out var weight) && IsFloat(weight))
            {
                if (head is not null) throw Refuse(node, "a second Linear layer");
                head = ReadLinear(graph, node, weight, initializers, out var consumedAdd);
                headNode = node;
                if (consumedAdd is not null) n = graph.Node.IndexOf(consumedAdd);
            }
            else if (op == "Gather" || Plumbing.Contains(op)) continue;
            else throw Refuse(node, "an operator with no AutoDiffRnn module");
        }
        if (recurrent.Count == 0) throw new InvalidDataException("ONNX import: the graph has no RNN, LSTM or GRU node");
        var layer = ReadRecurrent(recurrent, initializers, metadata);
        var readout = Readout.None;
        if (headNode is not null)
            readout = metadata.TryGetValue(Export.OnnxExport.ModelKey, out var kind)
                ? kind == "many_to_one" ? Readout.LastState : Readout.EveryStep
                : ReadsFinalState(headNode.Input[0], producers) ? Readout.LastState : Readout.EveryStep;
        return new ImportedModel(embedding, layer, head, readout, metadata);
    }

    private static bool ReadsFinalState(string value, Dictionary<string, (NodeProto Node, int Output)> producers)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([value]);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!seen.Add(name) || !producers.TryGetValue(name, out var producer)) continue;
            if (producer.Node.OpType is "RNN" or "LSTM" or "GRU") return producer.Output > 0;
            foreach (var input in producer.Node.Input.Take(1)) pending.Push(input);
            if (producer.Node.OpType == "Concat") foreach (var input in producer.Node.Input) pending.Push(input);
        }
        return false;
    }

    private static Nn.Linear ReadLinear(GraphProto graph, NodeProto node, TensorProto weight, Dictionary<string, TensorProto> initializers, out NodeProto? add)
    {
        add = null;
        var values = ToTensor(weight);
        bool transB = node.OpType == "Gemm" && node.Attribute.Any(a => a.Name == "transB" && a.I != 0);
        if (node.OpType == "Gemm" && node.Attribute.Any(a => (a.Name == "transA" && a.I != 0) || (a.Name is "alpha" or "beta" && a.F != 1f)))
            throw Refuse(node, "a Gemm with transA, alpha or beta");
        var w = transB ? values : values.Transpose(0, 1); // [out, in]
        TensorProto? bias = null;
        if (node.OpType == "Gemm" && node.Input.Count > 2 && node.Input[2].Length > 0) bias = initializers[node.Input[2]];
        else if (node.OpType == "MatMul")
        {
            add = graph.Node.FirstOrDefault(n => n.OpType == "Add" && n.Input.Contains(node.Output[0])
                && n.Input.Any(i => initializers.TryGetValue(i, out var b) && b.Dims.Count == 1));
            if (add is not null) bias = initializers[add.Input.First(i => initializers.ContainsKey(i))];
        }
        var linear = new Nn.Linear(w.Shape[1], w.Shape[0], bias is not null, DTypeOf(weight));
        var state = new Dictionary<string, Tensor> { ["weight"] = w };
        if (bias is not null) state["bias"] = ToTensor(bias);
        linear.LoadStateDict(state);
        return linear;
    }

    private static RecurrentLayer ReadRecurrent(List<NodeProto> nodes, Dictionary<string, TensorProto> initializers, Dictionary<string, string> metadata)
    {
        var first = nodes[0];
        string op = first.OpType;
        int hidden = (int)Attribute(first, "hidden_size")!.I;
        string direction = Attribute(first, "direction")?.S.ToStringUtf8() ?? "forward";
        var activations = Attribute(first, "activations")?.Strings.Select(s => s.ToStringUtf8()).Distinct().ToArray();
        var kind = op switch
        {
            "LSTM" => RecurrentKind.Lstm,
            "GRU" => RecurrentKind.Gru,
            _ => activations is ["Relu"] ? RecurrentKind.RnnRelu : RecurrentKind.RnnTanh,
        };
        bool bias = first.Input.Count > 3 && first.Input[3].Length > 0;
        foreach (var node in nodes)
        {
            if (node.OpType != op) throw Refuse(node, $"a {node.OpType} stacked on a {op}");
            if (Attribute(node, "hidden_size")?.I != hidden) throw Refuse(node, $"a hidden size other than the first layer's {hidden}");
            if ((Attribute(node, "direction")?.S.ToStringUtf8() ?? "forward") != direction) throw Refuse(node, "a direction other than the first layer's");
            if (direction == "reverse") throw Refuse(node, "a reverse-only direction (PyTorch has forward or bidirectional)");
            if (Attribute(node, "clip") is not null) throw Refuse(node, "clip");
            if (Attribute(node, "input_forget")?.I is long forget && forget != 0) throw Refuse(node, "input_forget");
            if (op == "LSTM" && node.Input.Count > 7 && node.Input[7].Length > 0) throw Refuse(node, "peepholes");
            if (op == "GRU" && Attribute(node, "linear_before_reset")?.I != 1) throw Refuse(node, "linear_before_reset = 0 (PyTorch's GRU is 1)");
            var nodeActivations = Attribute(node, "activations")?.Strings.Select(s => s.ToStringUtf8()).ToArray();
            if (op == "RNN" && nodeActivations is not null && nodeActivations.Any(a => a is not ("Tanh" or "Relu") || a != nodeActivations[0]))
                throw Refuse(node, $"activations [{string.Join(", ", nodeActivations)}]");
            if (op != "RNN" && nodeActivations is not null) throw Refuse(node, "custom activations");
            if ((node.Input.Count > 3 && node.Input[3].Length > 0) != bias) throw Refuse(node, "bias on some layers only");
            foreach (var input in node.Input.Skip(1).Take(bias ? 3 : 2))
                if (!initializers.ContainsKey(input)) throw Refuse(node, $"weights '{input}' that are not initializers");
        }
        int directions = direction == "bidirectional" ? 2 : 1, gates = RecurrentGateLayout.Gates(kind);
        var w0 = initializers[first.Input[1]];
        var dtype = DTypeOf(w0);
        bool batchFirst = metadata.TryGetValue("autodiffrnn.batch_first", out var bf) && bf == "true";
        double dropout = metadata.TryGetValue("autodiffrnn.dropout", out var p) ? double.Parse(p, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var layer = new RecurrentLayer(kind, (int)w0.Dims[2], hidden, nodes.Count, bias, batchFirst, dropout, directions == 2, dtype);
        var order = RecurrentGateLayout.PyTorchFromOnnx(kind);
        var state = new Dictionary<string, Tensor>();
        for (int l = 0; l < nodes.Count; l++)
        {
            var w = ToDoubles(initializers[nodes[l].Input[1]]);
            var r = ToDoubles(initializers[nodes[l].Input[2]]);
            var b = bias ? ToDoubles(initializers[nodes[l].Input[3]]) : null;
            int inputSize = (int)initializers[nodes[l].Input[1]].Dims[2];
            if (inputSize != (l == 0 ? layer.InputSize : directions * hidden)) throw Refuse(nodes[l], $"an input size {inputSize} that does not follow the layer below");
            for (int d = 0; d < directions; d++)
            {
                string suffix = $"_l{l}" + (d == 1 ? "_reverse" : "");
                int wSize = gates * hidden * inputSize, rSize = gates * hidden * hidden, bSize = gates * hidden;
                state["weight_ih" + suffix] = Reordered(w.AsSpan(d * wSize, wSize), hidden, inputSize, order, new Shape(gates * hidden, inputSize), dtype);
                state["weight_hh" + suffix] = Reordered(r.AsSpan(d * rSize, rSize), hidden, hidden, order, new Shape(gates * hidden, hidden), dtype);
                if (b is not null)
                {
                    state["bias_ih" + suffix] = Reordered(b.AsSpan(2 * d * bSize, bSize), hidden, 1, order, new Shape(bSize), dtype);
                    state["bias_hh" + suffix] = Reordered(b.AsSpan((2 * d + 1) * bSize, bSize), hidden, 1, order, new Shape(bSize), dtype);
                }
            }
        }
        layer.LoadStateDict(state);
        return layer;
    }

    private static Tensor Reordered(ReadOnlySpan<double> onnx, int hidden, int columns, int[] order, Shape shape, DType dtype)
    {
        var target = new double[onnx.Length];
        RecurrentGateLayout.ReorderChunks(onnx, target, hidden, columns, order);
        return Tensor.FromArray(target, shape, dtype);
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static NotSupportedException Refuse(NodeProto node, string what) =>
        new($"ONNX import: node '{node.Name}' ({node.OpType}) cannot be mapped onto AutoDiffRnn modules: {what}");

    private static bool IsFloat(TensorProto tensor) => tensor.DataType is OnnxElementType.Float or OnnxElementType.Double;

    private static DType DTypeOf(TensorProto tensor) => tensor.DataType == OnnxElementType.Double ? DType.Float64 : DType.Float32;

    private static double[] ToDoubles(TensorProto tensor)
    {
        var raw = tensor.RawData.Span;
        return tensor.DataType switch
        {
            OnnxElementType.Float when raw.Length > 0 => Array.ConvertAll(MemoryMarshal.Cast<byte, float>(raw).ToArray(), v => (double)v),
            OnnxElementType.Float => tensor.FloatData.Select(v => (double)v).ToArray(),
            OnnxElementType.Double when raw.Length > 0 => MemoryMarshal.Cast<byte, double>(raw).ToArray(),
            OnnxElementType.Double => [.. tensor.DoubleData],
            _ => throw new InvalidDataException($"ONNX import: initializer '{tensor.Name}' has element type {tensor.DataType}, not float or double"),
        };
    }

    private static Tensor ToTensor(TensorProto tensor)
    {
        var shape = new Shape(tensor.Dims.Select(d => (int)d).ToArray());
        if (tensor.DataType == OnnxElementType.Float && tensor.RawData.Length > 0)
            return Tensor.FromArray(MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray(), shape);
        return Tensor.FromArray(ToDoubles(tensor), shape, DTypeOf(tensor));
    }
}
