using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// How the fused recurrence driver spreads a sequence over the cores: by blocks of sequences for the recording path
/// (<see cref="RowBlocks"/>), by blocks of hidden units for the forward without recording (<see cref="InferenceBlocks{T}"/>).
/// </summary>
internal static class RecurrenceSplit
{
    /// <summary>Multiply-adds of the per-step product h W_hhᵀ from which a step is split over the cores.</summary>
    internal const long ParallelWork = 1L << 20;

    /// <summary>
    /// The split of the batch: the sequences of a batch are independent, so each thread can run the whole recurrence for a block of
    /// rows (one fork per sequence instead of one per step). Splits when the per-step product has at least <see cref="ParallelWork"/>
    /// multiply-adds.
    /// </summary>
    public static (int Parts, int RowsPerPart) RowBlocks(int batch, int hiddenSize, int gates)
    {
        if (batch <= 0) return (0, 1); // no rows: no part (the ops return before running an empty batch)
        long work = (long)batch * hiddenSize * gates * hiddenSize;
        int parts = work >= ParallelWork ? Math.Min(batch, Gemm.MaxParallelism) : 1;
        int rowsPerPart = (batch + parts - 1) / parts;
        return ((batch + rowsPerPart - 1) / rowsPerPart, rowsPerPart);
    }

    /// <summary>
    /// Blocks of hidden units the forward without recording (<see cref="UnitBlockInference{T, TCell}"/>) is split into: one per core
    /// when the per-step product has at least <see cref="ParallelWork"/> multiply-adds and each block gets at least a vector of units;
    /// otherwise 1 (the recording path's step loop, on one thread, with the projections computed beside it).
    /// </summary>
    public static int InferenceBlocks<T>(int batch, int hiddenSize, int gates) where T : unmanaged
    {
        long work = (long)batch * hiddenSize * gates * hiddenSize;
        int lanes = System.Numerics.Vector<T>.Count;
        return work >= ParallelWork && Gemm.MaxParallelism > 1 && hiddenSize >= 2 * lanes ? Gemm.MaxParallelism : 1;
    }
}
