namespace AutoDiffRnn;

/// <summary>
/// lstm_sequence: one LSTM direction over a whole sequence as a single recorded op — the fused recurrence driver
/// (<see cref="FusedRecurrence"/>) running <see cref="LstmCellMath"/>. Output [T, B, 3H]: per step the layer output, then the hidden
/// and cell states after the step. First-order backward only (use the composed path for gradients of gradients).
/// </summary>
[Operation("lstm_sequence")]
internal static class LstmSequenceOp;

public sealed partial class Tensor
{
    /// <summary>
    /// One LSTM direction over a sequence in a single fused op (see <c>lstm_sequence</c>): input [T, B, I], initial states [B, H],
    /// weights [4H, I] and [4H, H], optional biases [4H]; returns [T, B, 3H] holding per step the output, the hidden state and the cell state.
    /// </summary>
    public static Tensor LstmSequence(Tensor input, Tensor hidden, Tensor cell, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse = false, int[]? lengths = null) =>
        FusedRecurrence.Apply<LstmCellMath>(new RecurrenceInputs(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, reverse, lengths));
}
