using System.Buffers;

namespace AutoDiffRnn;

/// <summary>What a fused recurrent op keeps for its backward; <see cref="Release"/> hands its buffer back to the pool.</summary>
internal interface ISavedSteps
{
    /// <summary>Returns the buffer to the pool (once; later reads throw).</summary>
    void Release();
}

/// <summary>
/// Step buffers a fused recurrent op saves for its backward, all in one array rented from <see cref="ArrayPool{T}.Shared"/> and
/// returned when the tape frees the node (<c>Tape.Record</c>'s release action), so a training loop reuses them instead of allocating
/// megabytes per step. The array holds <paramref name="parts"/> blocks of (steps · batch) rows × hidden units each.
/// </summary>
internal class SavedSteps<T>(int parts, int steps, int batch, int hiddenSize) : ISavedSteps
{
    private readonly int rows = steps * batch, h = hiddenSize;
    private T[]? buffer = ArrayPool<T>.Shared.Rent(parts * steps * batch * hiddenSize);

    /// <summary>The rows × <paramref name="width"/> elements that start at block <paramref name="index"/> (a width of w hidden sizes spans w blocks).</summary>
    protected Span<T> Part(int index, int width) =>
        (buffer ?? throw new ObjectDisposedException(GetType().Name)).AsSpan(index * rows * h, rows * width);

    /// <inheritdoc/>
    public void Release()
    {
        var array = buffer;
        buffer = null;
        if (array is not null) ArrayPool<T>.Shared.Return(array);
    }
}
