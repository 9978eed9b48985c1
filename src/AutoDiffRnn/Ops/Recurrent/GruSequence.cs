namespace AutoDiffRnn;

/// <summary>
/// gru_sequence: one GRU direction over a whole sequence as a single recorded op — the fused recurrence driver
/// (<see cref="FusedRecurrence"/>) running <see cref="GruCellMath"/>. Output [T, B, 2H]: per step the layer output, then the hidden
/// state after the step. First-order backward only.
/// </summary>
[Operation("gru_sequence")]
internal static class GruSequenceOp;

public sealed partial class Tensor
{
    /// <summary>
    /// One GRU direction over a sequence in a single fused op (see <c>gru_sequence</c>): input [T, B, I], initial state [B, H],
    /// weights [3H, I] and [3H, H], optional biases [3H]; returns [T, B, 2H] holding per step the output and the hidden state.
    /// </summary>
    public static Tensor GruSequence(Tensor input, Tensor hidden, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse = false, int[]? lengths = null) =>
        FusedRecurrence.Apply<GruCellMath>(new RecurrenceInputs(input, hidden, null, weightIh, weightHh, biasIh, biasHh, reverse, lengths));
}
