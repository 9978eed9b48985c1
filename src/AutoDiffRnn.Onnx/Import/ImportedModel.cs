using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Onnx.Import;

/// <summary>How an imported model reads its recurrent layer out.</summary>
public enum Readout
{
    /// <summary>No head: the recurrent layer's outputs are the model's.</summary>
    None,

    /// <summary>A Linear head on every step's output (a language model's logits).</summary>
    EveryStep,

    /// <summary>A Linear head on the top layer's final state (<see cref="RecurrentOutput.LastOutput()"/>), many-to-one.</summary>
    LastState,
}

/// <summary>
/// AutoDiffRnn modules read from an ONNX model: an optional Embedding, the recurrent layer (all the RNN/LSTM/GRU nodes stacked), an optional
/// Linear head, registered under the names embedding, rnn and head so an optimizer can fine-tune them.
/// </summary>
public sealed class ImportedModel : Module
{
    internal ImportedModel(Embedding? embedding, RecurrentLayer recurrent, Linear? head, Readout readout, IReadOnlyDictionary<string, string> metadata)
    {
        if (embedding is not null) Embedding = RegisterModule("embedding", embedding);
        Recurrent = RegisterModule("rnn", recurrent);
        if (head is not null) Head = RegisterModule("head", head);
        Readout = head is null ? Readout.None : readout;
        Metadata = metadata;
    }

    /// <summary>The embedding table (the graph's Gather on an initializer), or null.</summary>
    public Embedding? Embedding { get; }

    /// <summary>The recurrent layers.</summary>
    public RecurrentLayer Recurrent { get; }

    /// <summary>The Linear head (MatMul + Add or Gemm on initializers), or null.</summary>
    public Linear? Head { get; }

    /// <summary>Where the head reads.</summary>
    public Readout Readout { get; }

    /// <summary>The model's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}
