namespace AutoDiffRnn;

/// <summary>
/// An explicit lifetime for the tensors of one unit of work, typically a training step, so that a training loop allocates
/// (almost) nothing after its first step: every tensor created while the scope is open, on this thread or on tasks started from it,
/// is released when the scope is disposed, and its storage goes back to the pool the next step rents from. The caller declares by
/// opening the scope that those tensors are not used after it ends; one that is still read afterwards throws an
/// <see cref="ObjectDisposedException"/> (the storage is never read through a stale tensor). Tensors that outlive the scope:
/// those passed to <see cref="Keep"/>, the gradients the backward pass leaves in <see cref="Tensor.Grad"/>, an optimizer's state,
/// and every tensor created before the scope opened (parameters). Scopes nest; the innermost one open owns new tensors.
/// </summary>
/// <example>
/// <code>
/// for (int step = 0; step &lt; steps; step++)
/// {
///     using var scope = TensorScope.Begin();
///     optimizer.ZeroGrad();
///     var loss = Loss.CrossEntropy(model.Forward(input), targets);
///     loss.Backward();
///     optimizer.Step();
///     losses.Add(loss.ToScalar()); // read inside the scope
/// }
/// </code>
/// </example>
public sealed class TensorScope : IDisposable
{
    private static readonly AsyncLocal<TensorScope?> current = new();
    private readonly TensorScope? outer;
    private readonly Lock gate = new();
    private static List<Tensor>? spareList; // the list of the last scope that ended, reused so a step allocates no new one
    private readonly List<Tensor> tensors;
    private bool disposed;

    private TensorScope(TensorScope? outer)
    {
        this.outer = outer;
        tensors = Interlocked.Exchange(ref spareList, null) ?? new List<Tensor>(256);
    }

    /// <summary>Opens a scope: tensors created from now until it is disposed are released then.</summary>
    public static TensorScope Begin()
    {
        var scope = new TensorScope(current.Value);
        current.Value = scope;
        return scope;
    }

    /// <summary>The innermost open scope of this thread (or of the task that started it), or null.</summary>
    internal static TensorScope? Current => current.Value;

    /// <summary>The number of tensors this scope will release.</summary>
    public int Count
    {
        get { lock (gate) return tensors.Count; }
    }

    /// <summary>Keeps <paramref name="tensor"/> (and the storage it shares) valid after the scope ends; returns it.</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.KeepPastScope();
        return tensor;
    }

    /// <summary>Runs <paramref name="create"/> with no scope open, so what it creates lives on (e.g. an optimizer's lazily created state).</summary>
    internal static T Outside<T>(Func<T> create)
    {
        var saved = current.Value;
        current.Value = null;
        try { return create(); }
        finally { current.Value = saved; }
    }

    internal void Track(Tensor tensor)
    {
        lock (gate)
        {
            if (!disposed) tensors.Add(tensor); // a task that outlived the scope leaves its tensors to the garbage collector
        }
    }

    /// <summary>Releases every tensor created in the scope that was not kept, and closes the scope.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
        }
        if (current.Value == this) current.Value = outer;
        foreach (var tensor in tensors)
            if (!tensor.IsKept)
                tensor.Release(ReleaseReason.ScopeEnded);
        tensors.Clear();
        spareList = tensors;
    }
}
