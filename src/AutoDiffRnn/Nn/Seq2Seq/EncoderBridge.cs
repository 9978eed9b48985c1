namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>How an encoder turns its final states into the decoder's initial state.</summary>
public enum EncoderBridge
{
    /// <summary>
    /// A learned projection per layer: h₀ = tanh(W_h [h_fwd; h_rev] + b_h) and, for an LSTM decoder, c₀ = W_c [c_fwd; c_rev] + b_c, from
    /// D·H to the decoder's hidden size (D = 2 when bidirectional). Works for any sizes.
    /// </summary>
    Projection,

    /// <summary>
    /// No parameters: each layer's forward and reverse final states are concatenated (D·H values), so the decoder's hidden size must be
    /// D·H. For a unidirectional encoder this passes the final state through unchanged.
    /// </summary>
    Concatenation,
}
