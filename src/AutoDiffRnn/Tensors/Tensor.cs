using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// A dense n-dimensional array of float32 or float64 values in contiguous row-major storage,
/// which records the operations applied to it on the tape when it requires gradients.
/// </summary>
/// <remarks>
/// Tensors are immutable through the public API: every operation returns a new tensor.
/// A tensor created by the user with <see cref="RequiresGrad"/> set is a leaf of the graph;
/// after <see cref="Backward"/> its gradient is in <see cref="Grad"/>.
/// </remarks>
public sealed partial class Tensor
{
    private Array? data;
    private readonly int elementCount;
    private bool requiresGrad;

    internal Tensor(Array data, Shape shape)
    {
        DType = data switch
        {
            float[] => DType.Float32,
            double[] => DType.Float64,
            _ => throw new ArgumentException($"tensor: storage must be float[] or double[], not {data.GetType().Name}"),
        };
        if (data.Length != shape.ElementCount)
            throw new ArgumentException($"tensor: shape {shape} needs {shape.ElementCount} elements but {data.Length} were given");
        this.data = data;
        elementCount = data.Length;
        Shape = shape;
        Serial = Interlocked.Increment(ref lastSerial);
        scope = TensorScope.Current;
        scope?.Track(this);
    }

    /// <summary>A zero-filled tensor of the given shape and type, its storage rented from <see cref="TensorStoragePool"/>.</summary>
    internal static Tensor Empty(Shape shape, DType dtype) => Rented(shape, dtype, clear: true);

    /// <summary>
    /// A tensor whose storage is rented from <see cref="TensorStoragePool"/> without clearing: for kernels that write every element.
    /// </summary>
    internal static Tensor Uninitialized(Shape shape, DType dtype) => Rented(shape, dtype, clear: false);

    private static Tensor Rented(Shape shape, DType dtype, bool clear) =>
        new(TensorStoragePool.Rent(shape.ElementCount, dtype, clear), shape) { storage = StorageState.Pooled };

    /// <summary>The size along each dimension.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The total number of elements.</summary>
    public int ElementCount => elementCount;

    /// <summary>
    /// Whether operations on this tensor are recorded so that gradients can flow to it.
    /// Only leaves (tensors not produced by a recorded operation) may have it set or cleared.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (GradFn is not null)
                throw new InvalidOperationException(
                    $"RequiresGrad: this tensor was produced by '{GradFn.OperationName}' and its gradient flag follows its inputs; call Detach() for a leaf copy");
            requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>, or null.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The recorded operation that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True when no recorded operation produced this tensor.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>The storage as a typed span (T must match <see cref="DType"/>).</summary>
    internal Span<T> Span<T>() where T : unmanaged => ((T[])(data ?? throw Released())).AsSpan();

    /// <summary>The storage array (throws if the tensor was released).</summary>
    internal Array Storage => data ?? throw Released();

    /// <summary>
    /// Sets <see cref="RequiresGrad"/> on this leaf and returns it, for chaining (PyTorch's <c>requires_grad_()</c>):
    /// <c>var w = Tensor.Normal(shape).SetRequiresGrad();</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor was produced by a recorded operation (see <see cref="RequiresGrad"/>).</exception>
    public Tensor SetRequiresGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// Clears <see cref="Grad"/>. A gradient the backward pass created goes back to the storage pool, so the next backward pass
    /// reuses its memory: the cleared gradient tensor is released, and reading it afterwards throws. Clone a gradient to keep it.
    /// A gradient assigned by the caller is only dropped.
    /// </summary>
    public void ZeroGrad()
    {
        var gradient = Grad;
        Grad = null;
        if (gradient is not null && gradient.IsLibraryGradient)
            gradient.Release(ReleaseReason.ZeroGrad);
    }

    /// <summary>A tensor sharing no graph with this one: same values (the same storage), a leaf, no gradient.</summary>
    public Tensor Detach() => Alias(Shape);

    /// <summary>A copy with its own storage, not recorded on the tape.</summary>
    public Tensor Clone()
    {
        var copy = Uninitialized(Shape, DType);
        Array.Copy(Storage, copy.Storage, elementCount);
        return copy;
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double ToScalar()
    {
        if (ElementCount != 1)
            throw new InvalidOperationException($"ToScalar: tensor of shape {Shape} has {ElementCount} elements, not 1");
        return this[0L];
    }

    /// <summary>The element at a flat row-major index, as a double; an index outside 0..ElementCount-1 is an <see cref="ArgumentOutOfRangeException"/>.</summary>
    public double this[long flatIndex]
    {
        get
        {
            var values = Storage;
            if ((ulong)flatIndex >= (ulong)values.Length)
                throw new ArgumentOutOfRangeException(nameof(flatIndex),
                    $"index: flat index {flatIndex} is outside a tensor of shape {Shape} ({values.Length} elements, valid 0..{values.Length - 1})");
            return values is float[] f ? f[flatIndex] : ((double[])values)[flatIndex];
        }
    }

    /// <summary>The element at a multi-dimensional index, as a double.</summary>
    public double this[params int[] index] => this[(long)FlatIndex(index)];

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"index: tensor of shape {Shape} needs {Rank} indices, got {index.Length}");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if (index[i] < 0 || index[i] >= Shape[i])
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"index: [{string.Join(",", index)}] is outside shape {Shape} (dim {i}: {index[i]} is not in 0..{Shape[i] - 1})");
            flat = flat * Shape[i] + index[i];
        }
        return flat;
    }

    /// <summary>The values as a new float array (converted if the tensor is float64).</summary>
    public float[] ToFloatArray() => Storage is float[] f ? (float[])f.Clone() : Array.ConvertAll((double[])Storage, v => (float)v);

    /// <summary>The values as a new double array (converted if the tensor is float32).</summary>
    public double[] ToDoubleArray() => Storage is double[] d ? (double[])d.Clone() : Array.ConvertAll((float[])Storage, v => (double)v);

    /// <summary>This tensor converted to another element type (recorded: gradients convert back).</summary>
    public Tensor To(DType dtype) => ConvertOp.Apply(this, dtype);

    /// <summary>
    /// Runs reverse-mode differentiation from this tensor through the recorded graph and accumulates
    /// gradients into the <see cref="Grad"/> of every leaf that requires them.
    /// </summary>
    /// <param name="outputGradient">The gradient of the final objective with respect to this tensor (same shape);
    /// may be omitted only when this tensor has one element, in which case it is 1.</param>
    /// <param name="retainGraph">Keep the saved tensors so that backward can run through this graph again.</param>
    /// <param name="createGraph">Record the backward pass itself so that the gradients can be differentiated again
    /// (gradients of gradients, Hessian-vector products). Implies <paramref name="retainGraph"/>.</param>
    public void Backward(Tensor? outputGradient = null, bool retainGraph = false, bool createGraph = false) =>
        Tape.Backward(this, outputGradient, retainGraph, createGraph);
}

public sealed partial class Tensor
{
    /// <summary>Overwrites this tensor's values with <paramref name="source"/>'s (same shape; converted to this type), without recording.</summary>
    internal void CopyFrom(Tensor source)
    {
        if (source.Shape != Shape)
            throw new ArgumentException($"copy: cannot copy a tensor of shape {source.Shape} into one of shape {Shape}");
        var converted = source.To(DType);
        using (Autodiff.GradMode.NoGrad())
            Array.Copy(converted.Storage, Storage, elementCount);
    }
}
