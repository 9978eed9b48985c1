namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Attention over encoder outputs: scores e = score(query, key) for every query step and source step, padding masked out
/// (its score replaced by −1e30, so its softmax weight is exactly 0), weights a = softmax(e) over the source steps, and the context
/// c = Σ a · value. Subclasses define the score (<see cref="AdditiveAttention"/>: Bahdanau; <see cref="DotProductAttention"/> and
/// <see cref="GeneralAttention"/>: Luong). Queries come batched as (B, T, Q), so a decoder can attend from all its steps at once
/// (T = 1 for one step). Composed from recorded ops (linear, matmul, where, softmax, tanh), so every gradient, of any order, follows.
/// </summary>
public abstract class Attention : Module
{
    /// <summary>The score given to padded source steps before the softmax.</summary>
    public const double MaskedScore = -1e30;

    private protected Attention(int querySize, int memorySize)
    {
        if (querySize <= 0 || memorySize <= 0)
            throw new ArgumentException($"{GetType().Name}: query and memory sizes must be positive, got {querySize} and {memorySize}");
        (QuerySize, MemorySize) = (querySize, memorySize);
    }

    /// <summary>The size of each query vector (the decoder's hidden size).</summary>
    public int QuerySize { get; }

    /// <summary>The size of each memory vector (the encoder's output size).</summary>
    public int MemorySize { get; }

    /// <summary>Prepares a memory (B, S, M) with its mask (B, S) of 1s and 0s: computes the keys once for all decoder steps.</summary>
    public AttentionMemory Prepare(Tensor memory, Tensor mask)
    {
        if (memory.Rank != 3 || memory.Shape[2] != MemorySize)
            throw new ArgumentException($"{GetType().Name}: expected a memory (batch, steps, {MemorySize}), got {memory.Shape}");
        if (mask.Shape != new Shape(memory.Shape[0], memory.Shape[1]))
            throw new ArgumentException($"{GetType().Name}: the mask must be (batch, steps) = {new Shape(memory.Shape[0], memory.Shape[1])}, got {mask.Shape}");
        return new AttentionMemory(memory, Keys(memory), mask.Detach());
    }

    /// <summary>Attends from queries (B, T, Q) over a prepared memory: the context (B, T, M) and the weights (B, T, S).</summary>
    public AttentionResult Forward(Tensor queries, AttentionMemory memory)
    {
        if (queries.Rank != 3 || queries.Shape[2] != QuerySize || queries.Shape[0] != memory.BatchSize)
            throw new ArgumentException($"{GetType().Name}: expected queries ({memory.BatchSize}, steps, {QuerySize}) for a memory {memory.Values.Shape}, got {queries.Shape}");
        var scores = Scores(queries, memory.Keys);                                                  // (B, T, S)
        var valid = memory.Mask.Reshape(memory.BatchSize, 1, memory.Steps);
        var weights = Tensor.Where(valid, scores, Tensor.Scalar(MaskedScore, scores.DType)).Softmax(-1);
        return new AttentionResult(Tensor.MatMul(weights, memory.Values), weights);
    }

    /// <summary>Shorthand: <see cref="Prepare"/> then <see cref="Forward(Tensor, AttentionMemory)"/>.</summary>
    public AttentionResult Forward(Tensor queries, Tensor memory, Tensor mask) => Forward(queries, Prepare(memory, mask));

    /// <summary>The keys of a memory (B, S, M), computed once per batch.</summary>
    protected abstract Tensor Keys(Tensor memory);

    /// <summary>The unmasked scores (B, T, S) of queries (B, T, Q) against keys.</summary>
    protected abstract Tensor Scores(Tensor queries, Tensor keys);
}
