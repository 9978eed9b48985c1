using System.Buffers;

namespace AutoDiffRnn;

/// <summary>What a fused recurrent op keeps for its backward; <see cref="Release"/> hands its buffer back to the pool.</summary>
internal interface ISavedSteps
{
    /// <summary>Returns the buffer to the pool (once; later reads throw).</summary>
    void Release();
}

/// <summary>
/// The step buffers the fused recurrence driver saves for its backward, all in one array rented from <see cref="ArrayPool{T}.Shared"/>
/// and returned when the tape frees the node (<c>Tape.Record</c>'s release action), so a training loop reuses them instead of
/// allocating megabytes per step. Per step and sequence (row t·B + b): the activated gates (G·H), the hidden state before the step (H),
/// and the cell's own vectors (<see cref="IFusedCell.SavedVectors"/>·H), each kind in its own block of rows.
/// </summary>
internal sealed class SavedSteps<T>(int gates, int cellVectors, int steps, int batch, int hiddenSize) : ISavedSteps
{
    private readonly int rows = steps * batch, h = hiddenSize;
    private T[]? buffer = ArrayPool<T>.Shared.Rent((gates + 1 + cellVectors) * steps * batch * hiddenSize);

    /// <summary>The activated gates, rows × G·H.</summary>
    public Span<T> Gates => Part(0, gates * h);

    /// <summary>The hidden state before each step, rows × H (the right operand of dW_hh).</summary>
    public Span<T> PreviousHidden => Part(gates, h);

    /// <summary>The cell's own saved vectors, rows × (SavedVectors·H).</summary>
    public Span<T> Cell => Part(gates + 1, cellVectors * h);

    private Span<T> Part(int index, int width) =>
        (buffer ?? throw new ObjectDisposedException(GetType().Name)).AsSpan(index * rows * h, rows * width);

    /// <inheritdoc/>
    public void Release()
    {
        var array = buffer;
        buffer = null;
        if (array is not null) ArrayPool<T>.Shared.Return(array);
    }
}
