namespace AutoDiffRnn.Autodiff;

/// <summary>
/// The collections a backward pass works with (pending gradients, the graph's order, the recycling counts), handed from one pass to the
/// next so that a training loop's backward allocates no new ones: <see cref="Rent"/> takes the spare set (or makes one, e.g. for a pass
/// started inside another), and disposing clears it and keeps it for the next pass, unless a huge graph made it too large to keep.
/// </summary>
internal sealed class BackwardScratch : IDisposable
{
    /// <summary>Above this many tensors in a graph the collections are left to the garbage collector rather than kept.</summary>
    private const int KeptCapacity = 1 << 14;

    private static BackwardScratch? spare;

    /// <summary>The gradient waiting at each tensor of the graph.</summary>
    public Dictionary<Tensor, Tensor> Gradients { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Gradient sums the pass allocated itself (safe to add into).</summary>
    public HashSet<Tensor> Owned { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The graph's tensors, inputs before outputs.</summary>
    public List<Tensor> Order { get; } = [];

    /// <summary>Tensors already placed in <see cref="Order"/> or on <see cref="Pending"/>.</summary>
    public HashSet<Tensor> Visited { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The depth-first walk's stack: a tensor and the next of its inputs to visit.</summary>
    public Stack<(Tensor Tensor, int NextInput)> Pending { get; } = new();

    /// <summary>The recycling counts of a first-order pass.</summary>
    public GradientRecycling Recycling { get; } = new();

    /// <summary>The spare collections, or new ones when another pass holds them.</summary>
    public static BackwardScratch Rent() => Interlocked.Exchange(ref spare, null) ?? new BackwardScratch();

    /// <summary>Clears every collection (no tensor stays referenced) and keeps them for the next pass.</summary>
    public void Dispose()
    {
        bool keep = Order.Count <= KeptCapacity;
        Gradients.Clear();
        Owned.Clear();
        Order.Clear();
        Visited.Clear();
        Pending.Clear();
        Recycling.Clear();
        if (keep) Volatile.Write(ref spare, this);
    }
}
