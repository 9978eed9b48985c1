namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Bahdanau (additive, "concat") attention: score(q, k) = vᵀ tanh(W_q q + W_k k + b), with W_q [A, Q] (<c>query.weight</c>),
/// W_k [A, M] and b [A] (<c>key.weight</c>, <c>key.bias</c>) and v [1, A] (<c>energy.weight</c>); A is the attention size.
/// W_k k + b is computed once per memory.
/// </summary>
public sealed class AdditiveAttention : Attention
{
    private readonly Linear query, key, energy;

    /// <summary>Creates the module.</summary>
    public AdditiveAttention(int querySize, int memorySize, int attentionSize, DType dtype = DType.Float32, Generator? generator = null)
        : base(querySize, memorySize)
    {
        if (attentionSize <= 0) throw new ArgumentException($"AdditiveAttention: the attention size must be positive, got {attentionSize}");
        query = RegisterModule("query", new Linear(querySize, attentionSize, bias: false, dtype, generator));
        key = RegisterModule("key", new Linear(memorySize, attentionSize, bias: true, dtype, generator));
        energy = RegisterModule("energy", new Linear(attentionSize, 1, bias: false, dtype, generator));
        AttentionSize = attentionSize;
    }

    /// <summary>The width A of the hidden layer that scores each (query, key) pair.</summary>
    public int AttentionSize { get; }

    /// <inheritdoc/>
    protected override Tensor Keys(Tensor memory) => key.Forward(memory);                     // (B, S, A)

    /// <inheritdoc/>
    protected override Tensor Scores(Tensor queries, Tensor keys)
    {
        int batch = queries.Shape[0], steps = queries.Shape[1], sourceSteps = keys.Shape[1];
        var projected = query.Forward(queries).Reshape(batch, steps, 1, AttentionSize);         // (B, T, 1, A)
        var hidden = (projected + keys.Reshape(batch, 1, sourceSteps, AttentionSize)).Tanh();  // (B, T, S, A)
        return energy.Forward(hidden).Reshape(batch, steps, sourceSteps);
    }
}
