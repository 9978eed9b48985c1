using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Tagger;

/// <summary>The options of <c>train tagger</c>; <see cref="TrainingOptions.HiddenSize"/> is that of each direction.</summary>
public sealed record TaggerOptions() : TrainingOptions(hiddenSize: 64, steps: 400)
{
    /// <summary>Word embedding size.</summary>
    public int EmbeddingSize { get; init; } = 32;

    /// <summary>Read the sentence both ways (false: left to right only).</summary>
    public bool Bidirectional { get; init; } = true;

    /// <summary>Sentences per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>Held-out sentences evaluated.</summary>
    public int TestSize { get; init; } = 1000;
}
