using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Classify;

/// <summary>The options of <c>train classify</c>.</summary>
public sealed record ClassifyOptions() : TrainingOptions(hiddenSize: 32, steps: 600)
{
    /// <summary>rnn, lstm or gru.</summary>
    public string Model { get; init; } = "lstm";

    /// <summary>Sequence length: the class is only visible at the first step.</summary>
    public int Length { get; init; } = 50;

    /// <summary>Sequences per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-2;
}
