namespace AutoDiffRnn;

/// <summary>
/// The pool tensor storage is rented from: float and double arrays kept by exact length (a training step asks for the same
/// lengths every step, so exact buckets find a match from the second step on). A tensor returns its array only when the library
/// knows no one can read it again: a gradient the backward pass created and consumed, a leaf's gradient handed back by
/// <see cref="Tensor.ZeroGrad"/>, or the tensors of a <see cref="TensorScope"/> when it ends. The pool keeps at most
/// <see cref="MaximumRetainedBytes"/> and <see cref="MaximumArraysPerLength"/> arrays of one length; beyond that a returned array is
/// left to the garbage collector.
/// </summary>
internal static class TensorStoragePool
{
    /// <summary>The most bytes the pool holds at once (a quarter of the memory the GC may use, at most 1 GiB).</summary>
    public static readonly long MaximumRetainedBytes = Math.Min(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>
    /// The most arrays of one length the pool holds: enough for a whole step of an eager recurrent network, whose T time steps each make
    /// tens of tensors of the same [B, H] shape (the LSTM cell of issue 19 at T = 64 makes about 3000), so that the next step finds them all.
    /// </summary>
    public const int MaximumArraysPerLength = 8192;

    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, Stack<float[]>> Floats = [];
    private static readonly Dictionary<int, Stack<double[]>> Doubles = [];
    private static long retainedBytes;

    /// <summary>The bytes held by the pool now.</summary>
    public static long RetainedBytes => Interlocked.Read(ref retainedBytes);

    /// <summary>An array of exactly <paramref name="length"/> elements of <paramref name="dtype"/>, zero-filled when <paramref name="clear"/>.</summary>
    public static Array Rent(int length, DType dtype, bool clear) => dtype == DType.Float32
        ? Rent(Floats, length, clear)
        : Rent(Doubles, length, clear);

    /// <summary>Hands an array back; the caller must hold the only reference to it.</summary>
    public static void Return(Array array)
    {
        if (array is float[] floats) Return(Floats, floats);
        else if (array is double[] doubles) Return(Doubles, doubles);
    }

    /// <summary>Drops every pooled array (tests and memory-pressure callers).</summary>
    public static void Clear()
    {
        lock (Gate)
        {
            Floats.Clear();
            Doubles.Clear();
            retainedBytes = 0;
        }
    }

    private static T[] Rent<T>(Dictionary<int, Stack<T[]>> buckets, int length, bool clear) where T : unmanaged
    {
        if (length == 0) return [];
        T[]? array = null;
        lock (Gate)
        {
            if (buckets.TryGetValue(length, out var bucket) && bucket.TryPop(out array))
                retainedBytes -= Bytes<T>(length);
        }
        if (array is null) return clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
        if (clear) Array.Clear(array);
        return array;
    }

    private static void Return<T>(Dictionary<int, Stack<T[]>> buckets, T[] array) where T : unmanaged
    {
        if (array.Length == 0) return;
        long bytes = Bytes<T>(array.Length);
        lock (Gate)
        {
            if (retainedBytes + bytes > MaximumRetainedBytes) return;
            if (!buckets.TryGetValue(array.Length, out var bucket))
                buckets[array.Length] = bucket = new Stack<T[]>(4);
            if (bucket.Count >= MaximumArraysPerLength) return;
            bucket.Push(array);
            retainedBytes += bytes;
        }
    }

    private static long Bytes<T>(int length) where T : unmanaged => (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
