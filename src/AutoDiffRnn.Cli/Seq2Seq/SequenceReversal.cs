using AutoDiffRnn.Data;

namespace AutoDiffRnn.Cli.Seq2Seq;

/// <summary>
/// The second task of <c>train seq2seq</c> (<c>--task reverse</c>): a sequence of 5 to 20 letters (a…t) is written backwards. Every
/// output token depends on a source position that moves with the length, which a decoder without attention must recover from the
/// encoder's final state alone. Sequences whose letter codes sum to a multiple of 11 are held out of training and used for evaluation.
/// </summary>
public static class SequenceReversal
{
    /// <summary>The shortest and longest sources.</summary>
    public const int MinLength = 5, MaxLength = 20;

    /// <summary>PAD, BOS, EOS, UNK, then the letters a…t.</summary>
    public static WordVocabulary Vocabulary { get; } = new("abcdefghijklmnopqrst".Select(c => c.ToString()));

    /// <summary>True for the sequences reserved for evaluation.</summary>
    public static bool IsHeldOut(int[] sequence) => sequence.Sum() % 11 == 0;

    /// <summary>A batch of (source, reversed source) pairs from the training part or the held-out part.</summary>
    public static (int[][] Sources, int[][] Targets) Batch(int size, Generator generator, bool heldOut)
    {
        var sources = new int[size][];
        for (int i = 0; i < size; i++)
            do sources[i] = Enumerable.Range(0, MinLength + generator.NextInt(MaxLength - MinLength + 1)).Select(_ => 4 + generator.NextInt(20)).ToArray();
            while (IsHeldOut(sources[i]) != heldOut);
        return (sources, sources.Select(s => s.Reverse().ToArray()).ToArray());
    }
}
