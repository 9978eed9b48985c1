namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>How beam search runs.</summary>
/// <param name="BeamWidth">Hypotheses kept per source (1 gives greedy decoding).</param>
/// <param name="MaxLength">The most tokens generated per sequence, EOS included.</param>
/// <param name="LengthPenalty">
/// α of the length normalisation of Wu et al. (2016): hypotheses are ranked by log p / ((5 + |y|) / 6)^α with |y| the generated
/// length (EOS included); 0 ranks by log-probability alone, larger values favour longer sequences.
/// </param>
public sealed record BeamSearchOptions(int BeamWidth = 4, int MaxLength = 50, double LengthPenalty = 0.6)
{
    /// <summary>The length normalisation divisor ((5 + length) / 6)^α.</summary>
    public double Normalizer(int length) => LengthPenalty == 0 ? 1 : Math.Pow((5.0 + length) / 6.0, LengthPenalty);
}
