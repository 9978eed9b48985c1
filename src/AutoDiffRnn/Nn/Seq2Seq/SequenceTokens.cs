namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// The special token ids a sequence model needs: padding (ignored by the loss, never attended to), the beginning-of-sequence token the
/// decoder starts from, and the end-of-sequence token that ends a generated sequence. <see cref="Default"/> matches
/// <see cref="AutoDiffRnn.Data.WordVocabulary"/> (PAD 0, BOS 1, EOS 2).
/// </summary>
/// <param name="Padding">The id that fills batches past each sequence's length.</param>
/// <param name="Begin">The id fed to the decoder before the first output token.</param>
/// <param name="End">The id that ends a target sequence.</param>
public sealed record SequenceTokens(int Padding, int Begin, int End)
{
    /// <summary>PAD 0, BOS 1, EOS 2, as <see cref="AutoDiffRnn.Data.WordVocabulary"/>.</summary>
    public static SequenceTokens Default { get; } = new(0, 1, 2);
}
