using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Captions;

/// <summary>
/// The options of <c>train captions</c>; <see cref="TrainingOptions.HiddenSize"/> is the decoder's (default 64), 2500 steps by default,
/// <see cref="FolderTrainingOptions.Output"/> (default out/captions) receives the checkpoint and captions.png.
/// </summary>
public sealed record CaptionsOptions() : FolderTrainingOptions(hiddenSize: 64, steps: 2500, output: "out/captions")
{
    /// <summary>"additive" (attend over the 8×8 feature grid) or "none" (global features set the decoder's state).</summary>
    public string Attention { get; init; } = "additive";

    /// <summary>Channels of the first convolution.</summary>
    public int Channels1 { get; init; } = 16;

    /// <summary>Channels of the second convolution (the memory size).</summary>
    public int Channels2 { get; init; } = 32;

    /// <summary>Channels of the colour stream (a 1×1 convolution over RGB only; the 3×3 convolutions then see only the mask and coordinates), or 0 for one joint stream over all channels.</summary>
    public int ColourChannels { get; init; } = 8;

    /// <summary>"cosine" (the learning rate decays to a tenth along a half cosine) or "constant".</summary>
    public string Schedule { get; init; } = "cosine";

    /// <summary>Word embedding size.</summary>
    public int EmbeddingSize { get; init; } = 32;

    /// <summary>Probability of replacing each fed previous word by UNK while training.</summary>
    public double WordDropout { get; init; } = 0.9;

    /// <summary>Scenes per batch (fresh scenes every step).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>Beam width of the beam-search evaluation.</summary>
    public int BeamWidth { get; init; } = 3;

    /// <summary>Held-out scenes evaluated.</summary>
    public int TestSize { get; init; } = 500;
}
