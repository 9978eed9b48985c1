using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>The hyperparameters of a character model, saved with every checkpoint.</summary>
public sealed record CharModelConfig(string Kind, int VocabularySize, int EmbeddingSize, int HiddenSize, int Layers);

/// <summary>
/// A character-level language model: embedding → recurrent layers (RNN, LSTM or GRU) → linear projection to next-character logits.
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

    /// <summary>Logits [T, B, V] for ids laid out [T, B] (time-major), with the final recurrent state.</summary>
    public (Tensor Logits, RecurrentOutput State) Forward(int[] ids, int steps, int batch, Tensor? hidden = null, Tensor? cell = null)
    {
        var embedded = Embedding.Forward(ids, new Shape(steps, batch));
        var state = Recurrent.Forward(embedded, hidden, cell);
        return (Output.Forward(state.Output), state);
    }
}
