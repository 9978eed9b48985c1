namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>What a decoder returns for T steps of a batch of B sequences.</summary>
/// <param name="Logits">Unnormalized scores over the target vocabulary: (B, T, V).</param>
/// <param name="State">The recurrent state after the last step.</param>
/// <param name="AttentionWeights">With attention, the weights over the source steps: (B, T, S); otherwise null.</param>
public sealed record DecoderOutput(Tensor Logits, DecoderState State, Tensor? AttentionWeights);
