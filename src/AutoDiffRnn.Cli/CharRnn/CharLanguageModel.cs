using AutoDiffRnn.Compile;
using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>The hyperparameters of a character model, saved with every checkpoint.</summary>
/// <param name="Kind">rnn, lstm or gru (the built-in fused layers), or peephole, layernorm-lstm or mgu (compiled cells).</param>
/// <param name="VocabularySize">Characters in the vocabulary.</param>
/// <param name="EmbeddingSize">Size of a character embedding.</param>
/// <param name="HiddenSize">Hidden state size.</param>
/// <param name="Layers">Stacked recurrent layers.</param>
/// <param name="Dropout">Dropout probability on the embeddings and before the projection (training only).</param>
public sealed record CharModelConfig(string Kind, int VocabularySize, int EmbeddingSize, int HiddenSize, int Layers, double Dropout = 0);

/// <summary>
/// A character-level language model: embedding → recurrent layers (RNN, LSTM or GRU with the fused kernels, or a compiled custom cell:
/// peephole LSTM, layer-normalised LSTM, minimal gated unit) → linear projection to next-character logits,
/// with dropout on the embeddings and before the projection while training (drawn from a generator the caller seeds per step,
/// so a resumed run draws the same masks).
/// </summary>
public sealed class CharLanguageModel : Module
{
    /// <summary>The model kinds: the built-in layers, then the compiled cells.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["rnn", "lstm", "gru", "peephole", "layernorm-lstm", "mgu"];

    /// <summary>Creates the model with parameters drawn from <paramref name="generator"/>.</summary>
    public CharLanguageModel(CharModelConfig config, Generator generator)
    {
        Config = config;
        RecurrentKind? kind = config.Kind switch
        {
            "lstm" => RecurrentKind.Lstm,
            "gru" => RecurrentKind.Gru,
            "rnn" => RecurrentKind.RnnTanh,
            "peephole" or "layernorm-lstm" or "mgu" => null,
            _ => throw new ArgumentException($"model kind must be one of {string.Join(", ", Kinds)}, not '{config.Kind}'"),
        };
        Embedding = RegisterModule("embedding", new Embedding(config.VocabularySize, config.EmbeddingSize, generator: generator));
        if (kind is { } builtIn)
            Recurrent = RegisterModule("rnn", new RecurrentLayer(builtIn, config.EmbeddingSize, config.HiddenSize, config.Layers, generator: generator)
            {
                UseFusedKernels = true,
            });
        else CompiledRecurrent = RegisterModule("rnn", new CellLayer(config.Kind, config.EmbeddingSize, config.HiddenSize, config.Layers, generator: generator));
        Output = RegisterModule("decoder", new Linear(config.HiddenSize, config.VocabularySize, generator: generator));
    }

    /// <summary>The hyperparameters.</summary>
    public CharModelConfig Config { get; }

    /// <summary>Character embeddings.</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent layers of a built-in kind (rnn, lstm, gru), else null.</summary>
    public RecurrentLayer? Recurrent { get; }

    /// <summary>The recurrent layers of a compiled cell (peephole, layernorm-lstm, mgu), else null.</summary>
    public CellLayer? CompiledRecurrent { get; }

    /// <summary>The projection to logits.</summary>
    public Linear Output { get; }

    /// <summary>
    /// Logits [T, B, V] for ids laid out [T, B] (time-major), with the final recurrent state. Dropout applies when a
    /// <paramref name="dropoutGenerator"/> is given (training); without one the model is deterministic (evaluation, sampling).
    /// </summary>
    public (Tensor Logits, RecurrentOutput State) Forward(int[] ids, int steps, int batch, Tensor? hidden = null, Tensor? cell = null,
        Generator? dropoutGenerator = null)
    {
        bool dropout = dropoutGenerator is not null && Config.Dropout > 0;
        var embedded = Embedding.Forward(ids, new Shape(steps, batch));
        if (dropout) embedded = embedded.Dropout(Config.Dropout, training: true, dropoutGenerator);
        var state = Recurrent?.Forward(embedded, hidden, cell) ?? CompiledRecurrent!.Forward(embedded, hidden, cell);
        var output = dropout ? state.Output.Dropout(Config.Dropout, training: true, dropoutGenerator) : state.Output;
        return (Output.Forward(output), state);
    }
}
