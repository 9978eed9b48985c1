namespace AutoDiffRnn;

/// <summary>
/// One direction of a recurrent layer over a sequence, as the fused recurrence driver takes it: input [T, B, I], initial states [B, H]
/// (zeros when null; the cell state only for an LSTM), weights [G·H, I] and [G·H, H], optional biases [G·H], the direction, and the
/// per-sequence lengths (step t is active for sequence b iff t &lt; lengths[b]; every step without lengths).
/// </summary>
internal sealed record RecurrenceInputs(Tensor Input, Tensor? Hidden, Tensor? Cell, Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh,
    Tensor? BiasHh, bool Reverse, int[]? Lengths)
{
    /// <summary>T.</summary>
    public int Steps => Input.Shape[0];

    /// <summary>B.</summary>
    public int Batch => Input.Shape[1];

    /// <summary>I.</summary>
    public int InputSize => Input.Shape[2];

    /// <summary>H.</summary>
    public int HiddenSize => WeightHh.Shape[1];

    /// <summary>Whether the layers have biases.</summary>
    public bool HasBias => BiasIh is not null;

    /// <summary>The time step processed k-th (the reverse direction runs T−1 … 0).</summary>
    public int TimeOf(int k) => Reverse ? Steps - 1 - k : k;

    /// <summary>Whether step <paramref name="t"/> is active for sequence <paramref name="b"/>.</summary>
    public bool IsActive(int t, int b) => Lengths is null || t < Lengths[b];
}
