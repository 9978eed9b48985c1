using Google.Protobuf;
using Onnx;

namespace AutoDiffRnn.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType) that the exporter writes.</summary>
public static class OnnxElementType
{
    /// <summary>float32.</summary>
    public const int Float = 1;

    /// <summary>int32 (ONNX's type for <c>sequence_lens</c>).</summary>
    public const int Int32 = 6;

    /// <summary>int64 (token ids, shapes).</summary>
    public const int Int64 = 7;

    /// <summary>float64.</summary>
    public const int Double = 11;

    /// <summary>The ONNX element type of a floating-point <see cref="DType"/>.</summary>
    public static int Of(DType dtype) => dtype == DType.Float32 ? Float : Double;
}

/// <summary>
/// Builds one ONNX graph: initializers in the graph's floating-point type, nodes with unique output names, inputs and outputs whose
/// dimensions are numbers or named (dynamic) axes. <see cref="ToModel"/> wraps it in a model at <see cref="Opset"/> with metadata_props.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName, DType dtype)
{
    /// <summary>The opset the exporter targets (ONNX 1.12's; LSTM/GRU/RNN are at version 14 there).</summary>
    public const int Opset = 17;

    private readonly HashSet<string> names = [];
    private int counter;

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; } = new() { Name = graphName };

    /// <summary>The floating-point type of every weight and activation.</summary>
    public DType DType { get; } = dtype;

    /// <summary>A name not used yet, from <paramref name="stem"/>.</summary>
    public string Fresh(string stem)
    {
        string name = stem;
        while (!names.Add(name)) name = $"{stem}_{++counter}";
        return name;
    }

    /// <summary>Adds a floating-point initializer (converted to the graph's type) and returns its name.</summary>
    public string Initializer(string name, ReadOnlySpan<double> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Fresh(name), DataType = OnnxElementType.Of(DType) };
        tensor.Dims.AddRange(dims);
        if (DType == DType.Float32)
        {
            var floats = new float[values.Length];
            for (int i = 0; i < values.Length; i++) floats[i] = (float)values[i];
            tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()));
        }
        else tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an int64 initializer (shapes, axes, indices) and returns its name.</summary>
    public string Int64Initializer(string name, long[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Fresh(name), DataType = OnnxElementType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node; its outputs get fresh names from <paramref name="outputStems"/> ("" leaves an optional output unused).</summary>
    public string[] Node(string opType, IEnumerable<string> inputs, string[] outputStems, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType + "_node") };
        node.Input.AddRange(inputs);
        var outputs = outputStems.Select(stem => stem.Length == 0 ? "" : Fresh(stem)).ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Adds a node with one output.</summary>
    public string Node(string opType, IEnumerable<string> inputs, string outputStem, params AttributeProto[] attributes) =>
        Node(opType, inputs, [outputStem], attributes)[0];

    /// <summary>Declares a graph input; each dimension is an int (fixed) or a string (a named dynamic axis).</summary>
    public string Input(string name, int elementType, params object[] dims)
    {
        Graph.Input.Add(ValueInfo(Fresh(name), elementType, dims));
        return name;
    }

    /// <summary>Declares a graph output named <paramref name="name"/>, produced by <paramref name="value"/> (through Identity if renamed).</summary>
    public void Output(string value, string name, int elementType, params object[] dims)
    {
        if (value != name)
        {
            if (!names.Add(name)) throw new InvalidOperationException($"ONNX export: the output name '{name}' is already used in the graph");
            var node = new NodeProto { OpType = "Identity", Name = Fresh("Identity_node") };
            node.Input.Add(value);
            node.Output.Add(name);
            Graph.Node.Add(node);
        }
        Graph.Output.Add(ValueInfo(name, elementType, dims));
    }

    /// <summary>The graph as a model at <see cref="Opset"/>, with <paramref name="metadata"/> in metadata_props.</summary>
    public ModelProto ToModel(IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = 8, ProducerName = "AutoDiffRnn.Onnx", ProducerVersion = "0.1.0", Graph = Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, int elementType, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim switch
            {
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                _ => throw new ArgumentException($"ONNX export: a dimension must be an int or a string, got {dim}"),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }
}

/// <summary>ONNX node attributes.</summary>
public static class OnnxAttribute
{
    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute.</summary>
    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A list of integers.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A list of strings.</summary>
    public static AttributeProto Strings(string name, params string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }
}
