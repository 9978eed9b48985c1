using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Seq2Seq;

/// <summary>
/// The options of <c>train seq2seq</c>; <see cref="TrainingOptions.HiddenSize"/> is that of each encoder direction (the decoder's is
/// twice it), <see cref="FolderTrainingOptions.Output"/> receives attention.png.
/// </summary>
public sealed record Seq2SeqOptions() : FolderTrainingOptions(hiddenSize: 64, steps: 1200, output: "out/seq2seq")
{
    /// <summary>dates (<see cref="DateTranslation"/>) or reverse (<see cref="SequenceReversal"/>).</summary>
    public string Task { get; init; } = "dates";

    /// <summary>additive (Bahdanau), dot or general (Luong), or none.</summary>
    public string Attention { get; init; } = "additive";

    /// <summary>luong (the decoder's output queries the memory after its step; fast) or bahdanau (the previous state queries it and the context joins the input).</summary>
    public string Placement { get; init; } = "luong";

    /// <summary>Also train the same model without attention, for comparison.</summary>
    public bool Baseline { get; init; } = true;

    /// <summary>Character embedding size (source and target).</summary>
    public int EmbeddingSize { get; init; } = 32;

    /// <summary>Pairs per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate (cosine-decayed to a tenth).</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>The probability of feeding the true previous token (1: pure teacher forcing; below 1: scheduled sampling).</summary>
    public double TeacherForcing { get; init; } = 1.0;

    /// <summary>Beam width of the beam-search evaluation.</summary>
    public int BeamWidth { get; init; } = 4;

    /// <summary>Held-out pairs evaluated.</summary>
    public int TestSize { get; init; } = 1000;
}
