namespace AutoDiffRnn.Onnx.Export;

/// <summary>How a module or model is written to ONNX.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The graph's floating-point type; null keeps the module's own.</summary>
    public DType? DType { get; init; }

    /// <summary>Add graph inputs initial_h (and initial_c for an LSTM), [L·D, B, H]; without them the states start at zero.</summary>
    public bool InitialStateInputs { get; init; }

    /// <summary>Add an int32 graph input sequence_lens [B] (each 1..T): ONNX's variable-length batches, PyTorch's packed sequences.</summary>
    public bool SequenceLengthsInput { get; init; }

    /// <summary>More entries for the model's metadata_props (the exporter writes the hyperparameters itself).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
