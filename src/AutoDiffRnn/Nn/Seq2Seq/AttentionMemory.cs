namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// The encoder outputs an attention module reads, prepared once per batch: the values (the outputs themselves), the keys (the outputs
/// after the module's key projection, or the outputs for dot-product attention) and the padding mask.
/// </summary>
/// <param name="Values">The memory (B, S, M): the context is a weighted sum of its rows.</param>
/// <param name="Keys">What queries are scored against, (B, S, K) with K depending on the attention kind.</param>
/// <param name="Mask">(B, S): 1 at real steps, 0 at padding (padding gets exactly zero weight).</param>
public sealed record AttentionMemory(Tensor Values, Tensor Keys, Tensor Mask)
{
    /// <summary>The batch size B.</summary>
    public int BatchSize => Values.Shape[0];

    /// <summary>The source length S.</summary>
    public int Steps => Values.Shape[1];

    /// <summary>The memory of the given batch rows, in that order (beam search repeats each source's memory for its beams).</summary>
    public AttentionMemory SelectRows(int[] rows) => new(Values.IndexSelect(0, rows), Keys.IndexSelect(0, rows), Mask.IndexSelect(0, rows));
}

/// <summary>What an attention module returns for a batch of queries.</summary>
/// <param name="Context">The weighted sums of the memory's values: (B, T, M).</param>
/// <param name="Weights">The attention weights: (B, T, S), each row a distribution over the real source steps (zero at padding).</param>
public sealed record AttentionResult(Tensor Context, Tensor Weights);
