using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>The hyperparameters of a character model, saved with every checkpoint.</summary>
/// <param name="Kind">rnn, lstm or gru.</param>
/// <param name="VocabularySize">Characters in the vocabulary.</param>
/// <param name="EmbeddingSize">Size of a character embedding.</param>
/// <param name="HiddenSize">Hidden state size.</param>
/// <param name="Layers">Stacked recurrent layers.</param>
/// <param name="Dropout">Dropout probability on the embeddings and before the projection (training only).</param>
public sealed record CharModelConfig(string Kind, int VocabularySize, int EmbeddingSize, int HiddenSize, int Layers, double Dropout = 0);

/// <summary>
/// A character-level language model: embedding → recurrent layers (RNN, LSTM or GRU) → linear projection to next-character logits,
/// with dropout on the embeddings and before the projection while training (drawn from a generator the caller seeds per step,
/// so a resumed run draws the same masks).
/// </summary>
public sealed class CharLanguageModel : Module
{
    /// <summary>Creates the model with parameters drawn from <paramref name="generator"/>.</summary>
    public CharLanguageModel(CharModelConfig config, Generator generator)
    {
        Config = config;
        var kind = config.Kind switch
        {
            "lstm" => RecurrentKind.Lstm,
            "gru" => RecurrentKind.Gru,
            "rnn" => RecurrentKind.RnnTanh,
            _ => throw new ArgumentException($"model kind must be rnn, lstm or gru, not '{config.Kind}'"),
        };
        Embedding = RegisterModule("embedding", new Embedding(config.VocabularySize, config.EmbeddingSize, generator: generator));
        Recurrent = RegisterModule("rnn", new RecurrentLayer(kind, config.EmbeddingSize, config.HiddenSize, config.Layers, generator: generator)
        {
            UseFusedKernels = true,
        });
        Output = RegisterModule("decoder", new Linear(config.HiddenSize, config.VocabularySize, generator: generator));
    }

    /// <summary>The hyperparameters.</summary>
    public CharModelConfig Config { get; }

    /// <summary>Character embeddings.</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent layers.</summary>
    public RecurrentLayer Recurrent { get; }

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
        var state = Recurrent.Forward(embedded, hidden, cell);
        var output = dropout ? state.Output.Dropout(Config.Dropout, training: true, dropoutGenerator) : state.Output;
        return (Output.Forward(output), state);
    }
}
