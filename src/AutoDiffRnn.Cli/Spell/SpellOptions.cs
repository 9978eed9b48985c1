using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Spell;

/// <summary>The options of <c>train spell</c>; <see cref="TrainingOptions.HiddenSize"/> is the decoder's.</summary>
public sealed record SpellOptions() : TrainingOptions(hiddenSize: 128, steps: 500)
{
    /// <summary>Character embedding size.</summary>
    public int EmbeddingSize { get; init; } = 16;

    /// <summary>Conditions per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>Beam width of the beam-search evaluation.</summary>
    public int BeamWidth { get; init; } = 3;
}
