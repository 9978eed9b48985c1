namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>Where a <see cref="Seq2SeqDecoder"/> attends, relative to its recurrent step (any <see cref="Attention"/> score works with either).</summary>
public enum AttentionPlacement
{
    /// <summary>
    /// Luong et al. (2015): the recurrent step runs first, hₜ = RNN(emb(yₜ₋₁), hₜ₋₁), and its output queries the memory,
    /// cₜ = attend(hₜ). Teacher-forced training runs the recurrent layer over all target steps at once (fast).
    /// </summary>
    AfterRecurrence,

    /// <summary>
    /// Bahdanau et al. (2015): the previous state queries the memory first, cₜ = attend(hₜ₋₁) (top layer), and the context joins the
    /// input, hₜ = RNN([emb(yₜ₋₁); cₜ], hₜ₋₁). Every step waits for the previous one, so training runs step by step (slower).
    /// </summary>
    BeforeRecurrence,
}
