namespace AutoDiffRnn;

/// <summary>
/// Who owns a tensor's storage, and when it goes back to <see cref="TensorStoragePool"/>. A tensor that rented its array owns it
/// (<see cref="StorageState.Pooled"/>); a view (<see cref="Alias"/>: reshape, detach, a dropped reduction axis) shares its owner's
/// array and counts as one of the owner's live views. The array goes back to the pool only when the owner and every view of it were
/// released (by the backward pass, <see cref="ZeroGrad"/> or the end of a <see cref="TensorScope"/>); a view the library never
/// releases (created outside a scope, or kept) keeps the array out of the pool for good. A released tensor has no storage: reading it
/// throws an <see cref="ObjectDisposedException"/> saying who released it, so a recycled array is never read through a stale tensor.
/// </summary>
public sealed partial class Tensor
{
    private static long lastSerial;
    private StorageState storage;
    private ReleaseReason releasedBy;
    private Tensor? root;               // the owner of the storage this view shares, or null for an owner
    private int liveViews;              // on an owner: views of its storage not released yet
    private Array? releasedStorage;     // on a released owner: its pooled array, waiting for its last view to be released
    private readonly TensorScope? scope;

    /// <summary>The order of creation: a tensor with a larger serial was created later (the backward pass tells its own gradients by it).</summary>
    internal long Serial { get; }

    /// <summary>The serial the next tensor will get at the earliest.</summary>
    internal static long NextSerial => Interlocked.Read(ref lastSerial) + 1;

    /// <summary>True once the storage went back to the library (see <see cref="ReleaseReason"/>).</summary>
    internal bool IsReleased => data is null;

    /// <summary>This tensor is a leaf's gradient the backward pass created: <see cref="ZeroGrad"/> may hand its storage back.</summary>
    internal bool IsLibraryGradient
    {
        get => (storage & StorageState.LibraryGradient) != 0;
        set => storage = value ? storage | StorageState.LibraryGradient : storage & ~StorageState.LibraryGradient;
    }

    /// <summary>True when this tensor rented its storage and no view shares it (it may be updated in place without anyone else seeing it).</summary>
    internal bool OwnsStorageAlone => (storage & StorageState.Pooled) != 0 && root is null && Volatile.Read(ref liveViews) == 0 && data is not null;

    /// <summary>The scope that releases this tensor when it ends, or null.</summary>
    internal TensorScope? Scope => scope;

    /// <summary>Kept past its scope's end (<see cref="TensorScope.Keep"/>, a leaf's gradient, optimizer state).</summary>
    internal bool IsKept => (storage & StorageState.Kept) != 0;

    /// <summary>A tensor of another shape over the same storage (same element count), not recorded.</summary>
    internal Tensor Alias(Shape shape)
    {
        var owner = root ?? this;
        Interlocked.Increment(ref owner.liveViews);
        return new Tensor(Storage, shape) { root = owner };
    }

    /// <summary>Marks this tensor as living past the end of its <see cref="TensorScope"/>: it is not released then.</summary>
    internal void KeepPastScope() => storage |= StorageState.Kept;

    /// <summary>
    /// Drops the storage (reads throw from now on); the array goes back to the pool once its owner and all the owner's views are
    /// released. The caller guarantees that nothing reads this tensor again.
    /// </summary>
    internal void Release(ReleaseReason reason)
    {
        var array = data;
        if (array is null) return;
        data = null;
        releasedBy = reason;
        var owner = root ?? this;
        if (root is not null) Interlocked.Decrement(ref owner.liveViews);
        else if ((storage & StorageState.Pooled) != 0) Volatile.Write(ref releasedStorage, array);
        if (owner.data is null && Volatile.Read(ref owner.liveViews) == 0 && Interlocked.Exchange(ref owner.releasedStorage, null) is Array pooled)
            TensorStoragePool.Return(pooled);
    }

    private ObjectDisposedException Released() => new(nameof(Tensor), releasedBy switch
    {
        ReleaseReason.ZeroGrad => $"tensor: this {DType.Name()} gradient of shape {Shape} was cleared by ZeroGrad() and its storage reused; " +
                                  "Clone() a gradient to keep it past ZeroGrad()",
        ReleaseReason.ScopeEnded => $"tensor: this {DType.Name()} tensor of shape {Shape} was created inside a TensorScope that has ended, " +
                                    "and its storage went back to the pool; call scope.Keep(tensor) inside the scope, or Clone() it there, to use it afterwards",
        _ => $"tensor: this {DType.Name()} gradient of shape {Shape} was consumed by the backward pass and its storage reused",
    });
}

/// <summary>Who owns a tensor's storage.</summary>
[Flags]
internal enum StorageState : byte
{
    /// <summary>Storage given to the tensor (user arrays, views).</summary>
    None = 0,
    /// <summary>The tensor rented its array from <see cref="TensorStoragePool"/>.</summary>
    Pooled = 1,
    /// <summary>The tensor outlives its scope.</summary>
    Kept = 2,
    /// <summary>A leaf's gradient created by the backward pass.</summary>
    LibraryGradient = 4,
}

/// <summary>Why a tensor's storage was released (for the message when it is read afterwards).</summary>
internal enum ReleaseReason : byte
{
    /// <summary>Not released.</summary>
    None,
    /// <summary>A gradient the backward pass created and consumed.</summary>
    Backward,
    /// <summary>A leaf's gradient cleared by <see cref="Tensor.ZeroGrad"/>.</summary>
    ZeroGrad,
    /// <summary>Its <see cref="TensorScope"/> ended.</summary>
    ScopeEnded,
}
