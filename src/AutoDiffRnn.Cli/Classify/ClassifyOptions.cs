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

    /// <summary>Adam's learning rate, held over the first half of the steps.</summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary>The learning rate at the last step: over the second half it falls from <see cref="LearningRate"/> along a cosine.</summary>
    public double FinalLearningRate { get; init; } = 1e-3;

    /// <summary>The largest global gradient norm (clip_grad_norm_). At 5, Adam's steps at 1e-2 threw some seeds off a solved task
    /// (loss back from 1e-3 to chance) and found the class later on others.</summary>
    public double ClipNorm { get; init; } = 1;
}
