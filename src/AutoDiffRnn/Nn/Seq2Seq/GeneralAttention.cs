namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Luong "general" (bilinear) attention: score(q, k) = qᵀ W k with W [Q, M] (<c>key.weight</c>); W k is computed once per memory.
/// </summary>
public sealed class GeneralAttention : Attention
{
    private readonly Linear key;

    /// <summary>Creates the module.</summary>
    public GeneralAttention(int querySize, int memorySize, DType dtype = DType.Float32, Generator? generator = null) : base(querySize, memorySize) =>
        key = RegisterModule("key", new Linear(memorySize, querySize, bias: false, dtype, generator));

    /// <inheritdoc/>
    protected override Tensor Keys(Tensor memory) => key.Forward(memory);                    // (B, S, Q)

    /// <inheritdoc/>
    protected override Tensor Scores(Tensor queries, Tensor keys) => Tensor.MatMul(queries, keys, transposeB: true);
}
