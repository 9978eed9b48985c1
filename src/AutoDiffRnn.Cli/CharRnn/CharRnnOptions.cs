using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>Everything <c>train char-rnn</c> can be told; <see cref="FolderTrainingOptions.Output"/> receives the checkpoint and loss.png.</summary>
public sealed record CharRnnOptions() : FolderTrainingOptions(hiddenSize: 256, steps: 1200, output: "out/char-rnn")
{
    /// <summary>rnn, lstm or gru.</summary>
    public string Model { get; init; } = "lstm";

    /// <summary>Character embedding size.</summary>
    public int EmbeddingSize { get; init; } = 64;

    /// <summary>Stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Characters per training sequence (truncated BPTT length).</summary>
    public int SequenceLength { get; init; } = 64;

    /// <summary>Sequences per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Dropout probability on the embeddings and before the output projection, while training.</summary>
    public double Dropout { get; init; } = 0.3;

    /// <summary>Learning rate.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>adam, adagrad or sgd.</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>Global gradient-norm clip.</summary>
    public double ClipNorm { get; init; } = 5;

    /// <summary>A corpus file; null uses the built-in corpus.</summary>
    public string? CorpusFile { get; init; }

    /// <summary>A literal training text instead of a corpus (the seeds' "hello").</summary>
    public string? Text { get; init; }

    /// <summary>Steps between samples and validation.</summary>
    public int SampleEvery { get; init; } = 200;

    /// <summary>A checkpoint folder to continue from.</summary>
    public string? Resume { get; init; }
}
