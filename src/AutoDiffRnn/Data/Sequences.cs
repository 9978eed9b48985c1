namespace AutoDiffRnn.Data;

/// <summary>A padded batch of variable-length sequences, time-major: ids laid out [T, B] with each sequence's length.</summary>
/// <param name="Ids">The ids, row-major over (time, batch), padded with the padding id.</param>
/// <param name="Steps">T, the longest length.</param>
/// <param name="Lengths">Each sequence's length, in batch order.</param>
public sealed record PaddedBatch(int[] Ids, int Steps, int[] Lengths)
{
    /// <summary>The batch size B.</summary>
    public int BatchSize => Lengths.Length;

    /// <summary>A [T, B] mask of 1 at valid steps and 0 at padding.</summary>
    public Tensor Mask(DType dtype = DType.Float32) =>
        Tensor.FromArray(Enumerable.Range(0, Steps * BatchSize).Select(i => i / BatchSize < Lengths[i % BatchSize] ? 1.0 : 0.0).ToArray(),
            new Shape(Steps, BatchSize), dtype);
}

/// <summary>Batching, padding, windows and shuffling for sequence data.</summary>
public static class Sequences
{
    /// <summary>Pads sequences (each at least one id long) to the longest, time-major, with <paramref name="paddingId"/>.</summary>
    public static PaddedBatch Pad(IReadOnlyList<int[]> sequences, int paddingId = 0)
    {
        if (sequences.Count == 0) throw new ArgumentException("pad: no sequences");
        if (sequences.Any(s => s.Length == 0)) throw new ArgumentException("pad: sequences must not be empty");
        int steps = sequences.Max(s => s.Length), batch = sequences.Count;
        var ids = new int[steps * batch];
        Array.Fill(ids, paddingId);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < sequences[b].Length; t++) ids[t * batch + b] = sequences[b][t];
        return new PaddedBatch(ids, steps, sequences.Select(s => s.Length).ToArray());
    }

    /// <summary>Splits items into batches of <paramref name="batchSize"/> (the last may be smaller), after a seeded shuffle if a generator is given.</summary>
    public static IEnumerable<T[]> Batches<T>(IReadOnlyList<T> items, int batchSize, Generator? shuffle = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batches: the batch size must be positive, got {batchSize}");
        var order = Enumerable.Range(0, items.Count).ToArray();
        shuffle?.Shuffle<int>(order);
        for (int start = 0; start < order.Length; start += batchSize)
            yield return order.Skip(start).Take(batchSize).Select(i => items[i]).ToArray();
    }

    /// <summary>
    /// Sliding windows over a series for many-to-one forecasting: inputs [count, window] and the value <paramref name="horizon"/>
    /// steps after each window's end as targets [count].
    /// </summary>
    public static (double[,] Inputs, double[] Targets) SlidingWindows(IReadOnlyList<double> series, int window, int horizon = 1, int stride = 1)
    {
        if (window <= 0 || horizon <= 0 || stride <= 0)
            throw new ArgumentException($"sliding windows: window ({window}), horizon ({horizon}) and stride ({stride}) must be positive");
        int count = series.Count - window - horizon + 1;
        if (count <= 0) return (new double[0, window], []);
        count = (count + stride - 1) / stride;
        var inputs = new double[count, window];
        var targets = new double[count];
        for (int i = 0; i < count; i++)
        {
            int start = i * stride;
            for (int j = 0; j < window; j++) inputs[i, j] = series[start + j];
            targets[i] = series[start + window + horizon - 1];
        }
        return (inputs, targets);
    }
}
