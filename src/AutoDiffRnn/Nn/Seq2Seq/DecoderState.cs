namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>The recurrent state a decoder carries from step to step, in PyTorch's layout.</summary>
/// <param name="Hidden">The hidden state of every decoder layer: (layers, batch, hidden).</param>
/// <param name="Cell">The LSTM cell state (layers, batch, hidden), or null for a GRU decoder.</param>
public sealed record DecoderState(Tensor Hidden, Tensor? Cell)
{
    /// <summary>The batch size B.</summary>
    public int BatchSize => Hidden.Shape[1];

    /// <summary>The state of the given batch rows, in that order (beam search reorders and duplicates rows with it).</summary>
    public DecoderState SelectRows(int[] rows) => new(Hidden.IndexSelect(1, rows), Cell?.IndexSelect(1, rows));
}
