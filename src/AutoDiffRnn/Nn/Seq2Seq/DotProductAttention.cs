namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Luong "dot" attention: score(q, k) = qᵀ k, with the encoder outputs themselves as keys; the query and memory sizes must be equal.
/// No parameters.
/// </summary>
public sealed class DotProductAttention : Attention
{
    /// <summary>Creates the module for queries and memory vectors of <paramref name="size"/> values.</summary>
    public DotProductAttention(int size) : base(size, size) { }

    /// <inheritdoc/>
    protected override Tensor Keys(Tensor memory) => memory;

    /// <inheritdoc/>
    protected override Tensor Scores(Tensor queries, Tensor keys) => Tensor.MatMul(queries, keys, transposeB: true);
}
