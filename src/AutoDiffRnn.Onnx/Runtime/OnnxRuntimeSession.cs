using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AutoDiffRnn.Onnx.Runtime;

/// <summary>
/// An ONNX model loaded into ONNX Runtime (CPU provider), run with AutoDiffRnn tensors, int64 ids and int32 lengths as inputs; every
/// floating-point output comes back as a <see cref="Tensor"/> of the graph's type.
/// </summary>
public sealed class OnnxRuntimeSession : IDisposable
{
    private readonly InferenceSession session;

    /// <summary>Loads a model file.</summary>
    public OnnxRuntimeSession(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model {path} does not exist");
        session = new InferenceSession(path, Options());
    }

    /// <summary>Loads a serialized model.</summary>
    public OnnxRuntimeSession(byte[] model) => session = new InferenceSession(model, Options());

    /// <summary>The model's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata => session.ModelMetadata.CustomMetadataMap;

    /// <summary>The names of the graph's inputs.</summary>
    public IReadOnlyList<string> InputNames => [.. session.InputMetadata.Keys];

    /// <summary>Runs the model; inputs are <see cref="Tensor"/>, <c>(long[] values, int[] shape)</c> ids or <c>int[]</c> sequence lengths.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, object> inputs)
    {
        var values = inputs.Select(pair => pair.Value switch
        {
            Tensor { DType: DType.Float32 } tensor => NamedOnnxValue.CreateFromTensor(pair.Key, new DenseTensor<float>(tensor.ToFloatArray(), tensor.Shape.ToArray())),
            Tensor tensor => NamedOnnxValue.CreateFromTensor(pair.Key, new DenseTensor<double>(tensor.ToDoubleArray(), tensor.Shape.ToArray())),
            (long[] ids, int[] shape) => NamedOnnxValue.CreateFromTensor(pair.Key, new DenseTensor<long>(ids, shape)),
            int[] lengths => NamedOnnxValue.CreateFromTensor(pair.Key, new DenseTensor<int>(lengths, [lengths.Length])),
            _ => throw new ArgumentException($"ONNX Runtime input '{pair.Key}': {pair.Value?.GetType().Name ?? "null"} is not a tensor, ids or lengths"),
        }).ToList();
        using var results = session.Run(values);
        var outputs = new Dictionary<string, Tensor>();
        foreach (var result in results)
        {
            if (result.Value is DenseTensor<float> floats)
                outputs[result.Name] = Tensor.FromArray(floats.Buffer.ToArray(), new Shape(floats.Dimensions.ToArray()));
            else if (result.Value is DenseTensor<double> doubles)
                outputs[result.Name] = Tensor.FromArray(doubles.Buffer.ToArray(), new Shape(doubles.Dimensions.ToArray()));
            else if (result.Value is Tensor<float> floatTensor)
                outputs[result.Name] = Tensor.FromArray(floatTensor.ToArray(), new Shape(floatTensor.Dimensions.ToArray()));
            else if (result.Value is Tensor<double> doubleTensor)
                outputs[result.Name] = Tensor.FromArray(doubleTensor.ToArray(), new Shape(doubleTensor.Dimensions.ToArray()));
        }
        return outputs;
    }

    /// <summary>Frees the native session.</summary>
    public void Dispose() => session.Dispose();

    private static SessionOptions Options() => new() { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
}
