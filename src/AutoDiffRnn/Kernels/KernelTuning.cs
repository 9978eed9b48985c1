namespace AutoDiffRnn.Kernels;

/// <summary>
/// The tuning of the compute kernels — the GEMM's cache blocking and fast-path limits, and when products, convolutions and recurrences
/// are split over the cores — as one immutable record. <see cref="Default"/> derives the cache blocking from this machine's caches
/// (<see cref="CacheSizes.Detected"/>); <see cref="Use"/> overrides it for a scope (a test's <c>using</c> block, a benchmark), for the
/// calling thread and the work it starts (an <see cref="AsyncLocal{T}"/>: tasks and <c>Parallel.For</c> bodies see it, other threads
/// do not), so nothing mutates global state.
/// </summary>
/// <example><code>
/// using (KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 1 }))
///     loss.Backward(); // every product on this thread only
/// </code></example>
public sealed record KernelTuning
{
    /// <summary>Depth block KC of the GEMM (elements): a packed B micro-panel, KC×NR, is sized for L1.</summary>
    public int DepthBlock { get; init; } = 256;

    /// <summary>Bytes of the GEMM's packed MC×KC block of A, sized for L2 (MC is derived from it).</summary>
    public int RowBlockBytes { get; init; } = 384 * 1024;

    /// <summary>Column block NC (elements) of the GEMM's packed KC×NC block of B.</summary>
    public int ColumnBlock { get; init; } = 4096;

    /// <summary>Products of at most this many rows with B not transposed read B in place instead of packing it.</summary>
    public int DirectRowsLimit { get; init; } = 256;

    /// <summary>
    /// Bytes of one row of a B panel (NR elements) from which B is read in place. With one cache line per row (the AVX2 kernel's
    /// 16 floats) the depth rows of a panel sit a row stride of B apart, which for strides that are multiples of 2 KB maps them
    /// onto a few L1 sets: measured on Zen 3 at every benchmark shape, reading in place was up to a third slower than packing.
    /// The AVX-512 kernels (two lines per row) gain from it.
    /// </summary>
    public int DirectMinimumPanelBytes { get; init; } = 128;

    /// <summary>Depth block when B is read in place (bounds the number of B rows, and pages, streamed at once).</summary>
    public int DirectDepthBlock { get; init; } = 256;

    /// <summary>Products A Bᵀ (A not transposed) of at most this many rows, and a depth of at least <see cref="DotProductMinDepth"/>,
    /// use dot products of rows instead of packing (AVX-512 only): B is streamed once, but each dot product ends in a horizontal sum.</summary>
    public int DotProductRowsLimit { get; init; } = 4;

    /// <summary>Smallest depth for the dot-product path.</summary>
    public int DotProductMinDepth { get; init; } = 256;

    /// <summary>Largest depth block of a B packed once for many products (a recurrent weight).</summary>
    public int PackedDepthBlock { get; init; } = 1024;

    /// <summary>Multiply-adds (m·n·k) from which a GEMM is split over the cores.</summary>
    public long ParallelThreshold { get; init; } = 1L << 22;

    /// <summary>Threads a product, a convolution or a recurrence is split over (the processor count by default).</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Whether the helpers of a split come from the dedicated, briefly spinning worker threads when one is idle (the default),
    /// or always from the thread pool (a benchmark compares the two; a test starves the dedicated workers).</summary>
    public bool DedicatedWorkers { get; init; } = true;

    /// <summary>Multiply-adds from which a convolution splits its samples over the cores.</summary>
    public long ConvolutionParallelThreshold { get; init; } = 1L << 16;

    /// <summary>Elements of the im2col columns of a whole batch up to which a convolution's weight gradient is one batched product.</summary>
    public long ConvolutionBatchColumnsLimit { get; init; } = 1L << 23;

    /// <summary>
    /// The tuning for caches of the given sizes: KC such that a B micro-panel of the widest kernel (two 64-byte lines per depth step)
    /// fills two thirds of L1 (a multiple of 32 in [64, 1024]); the A block three eighths of L2 (in [128 KB, 4 MB]). A 48 KB L1 and a
    /// 1 MB L2 give KC = 256 and 384 KB; a 32 KB L1 and a 512 KB L2 give 160 and 192 KB.
    /// </summary>
    public static KernelTuning ForCaches(CacheSizes caches)
    {
        ArgumentNullException.ThrowIfNull(caches);
        int depthBlock = Math.Clamp(caches.Level1Data * 2 / 3 / 128 / 32 * 32, 64, 1024);
        int rowBlockBytes = (int)Math.Clamp(caches.Level2 * 3L / 8, 128 * 1024, 4 * 1024 * 1024);
        return new KernelTuning { DepthBlock = depthBlock, RowBlockBytes = rowBlockBytes };
    }

    /// <summary>The tuning for this machine's caches (<see cref="CacheSizes.Detected"/>).</summary>
    public static KernelTuning Default { get; } = ForCaches(CacheSizes.Detected);

    private static readonly AsyncLocal<KernelTuning?> Scoped = new();

    /// <summary>The tuning in force here: the innermost <see cref="Use"/> scope of this flow of execution, or <see cref="Default"/>.</summary>
    public static KernelTuning Current => Scoped.Value ?? Default;

    /// <summary>
    /// Makes <paramref name="tuning"/> the <see cref="Current"/> one on this thread and in the work it starts, until the returned scope is
    /// disposed (scopes nest; dispose them in reverse order, as <c>using</c> does).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, limit or thread count is below its minimum; the message names it.</exception>
    public static IDisposable Use(KernelTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        tuning.Validate();
        var scope = new Scope(Scoped.Value);
        Scoped.Value = tuning;
        return scope;
    }

    private void Validate()
    {
        foreach (var (name, value, minimum) in new (string, long, long)[]
                 {
                     (nameof(DepthBlock), DepthBlock, 1), (nameof(RowBlockBytes), RowBlockBytes, 1), (nameof(ColumnBlock), ColumnBlock, 1),
                     (nameof(DirectRowsLimit), DirectRowsLimit, 0), (nameof(DirectMinimumPanelBytes), DirectMinimumPanelBytes, 0),
                     (nameof(DirectDepthBlock), DirectDepthBlock, 1), (nameof(DotProductRowsLimit), DotProductRowsLimit, 0),
                     (nameof(DotProductMinDepth), DotProductMinDepth, 0), (nameof(PackedDepthBlock), PackedDepthBlock, 1),
                     (nameof(ParallelThreshold), ParallelThreshold, 0), (nameof(MaxParallelism), MaxParallelism, 1),
                     (nameof(ConvolutionParallelThreshold), ConvolutionParallelThreshold, 0),
                     (nameof(ConvolutionBatchColumnsLimit), ConvolutionBatchColumnsLimit, 0),
                 })
            if (value < minimum)
                throw new ArgumentOutOfRangeException(nameof(Use), value, $"kernel tuning: {name} must be at least {minimum}, got {value}");
    }

    private sealed class Scope(KernelTuning? previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            Scoped.Value = previous;
        }
    }
}
