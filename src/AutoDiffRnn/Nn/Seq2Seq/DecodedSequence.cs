namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>One generated sequence.</summary>
/// <param name="Tokens">The generated tokens, without BOS and EOS.</param>
/// <param name="LogProbability">The model's log-probability of the tokens and, if generated, the final EOS.</param>
/// <param name="Score">What beam search ranked by: the log-probability divided by the length penalty (equal to it for greedy decoding).</param>
/// <param name="Finished">True if the sequence ended with EOS, false if it was cut at the maximum length.</param>
/// <param name="AttentionWeights">With attention, one row per generated step (EOS included) over the source's real steps; otherwise null.</param>
public sealed record DecodedSequence(int[] Tokens, double LogProbability, double Score, bool Finished, double[][]? AttentionWeights);
