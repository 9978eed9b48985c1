namespace AutoDiffRnn;

/// <summary>
/// rnn_sequence: one direction of an Elman RNN (tanh or relu) over a whole sequence as a single recorded op — the fused recurrence
/// driver (<see cref="FusedRecurrence"/>) running <see cref="RnnCellMath{TActivation}"/>. Output [T, B, 2H]: per step the layer
/// output, then the hidden state after the step. First-order backward only.
/// </summary>
[Operation("rnn_sequence")]
internal static class RnnSequenceOp;

public sealed partial class Tensor
{
    /// <summary>
    /// One Elman RNN direction over a sequence in a single fused op (see <c>rnn_sequence</c>): h' = tanh (or relu with
    /// <paramref name="relu"/>) of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh; input [T, B, I], initial state [B, H], weights [H, I] and [H, H],
    /// optional biases [H]; returns [T, B, 2H] holding per step the output and the hidden state.
    /// </summary>
    public static Tensor RnnSequence(Tensor input, Tensor hidden, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool relu = false, bool reverse = false, int[]? lengths = null)
    {
        var inputs = new RecurrenceInputs(input, hidden, null, weightIh, weightHh, biasIh, biasHh, reverse, lengths);
        return relu ? FusedRecurrence.Apply<RnnCellMath<ReluActivation>>(inputs) : FusedRecurrence.Apply<RnnCellMath<TanhActivation>>(inputs);
    }
}
