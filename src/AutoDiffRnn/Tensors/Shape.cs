using System.Collections;

namespace AutoDiffRnn;

/// <summary>
/// The immutable shape of a tensor: its size along each dimension, outermost first (row-major).
/// A scalar has rank 0 and one element.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? dimensions;

    /// <summary>
    /// Creates a shape from its dimension sizes; every size must be zero or more and their product (the element count, computed in
    /// checked arithmetic) at most <see cref="MaximumElementCount"/>, else an <see cref="ArgumentException"/> names the shape.
    /// </summary>
    public Shape(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        foreach (var size in dimensions)
            if (size < 0)
                throw new ArgumentException($"shape: dimension sizes must be non-negative, got [{string.Join(",", dimensions)}]");
        CheckedElementCount(dimensions, "shape");
        this.dimensions = (int[])dimensions.Clone();
    }

    /// <summary>The most elements a tensor can hold (its storage is one .NET array).</summary>
    public const int MaximumElementCount = int.MaxValue;

    /// <summary>
    /// The product of <paramref name="dimensions"/> in checked arithmetic: an <see cref="ArgumentException"/> naming
    /// <paramref name="operation"/> and the sizes when it exceeds <see cref="MaximumElementCount"/> (a zero size gives 0, whatever the others).
    /// </summary>
    internal static int CheckedElementCount(ReadOnlySpan<int> dimensions, string operation)
    {
        long count = 1;
        bool overflow = false;
        foreach (var size in dimensions)
        {
            if (size == 0) return 0;
            count *= size; // both factors are at most int.MaxValue, and count is capped below: no long overflow
            if (count > MaximumElementCount) { overflow = true; count = MaximumElementCount + 1L; }
        }
        if (overflow)
            throw new ArgumentException(
                $"{operation}: shape [{string.Join(",", dimensions.ToArray())}] has more than {MaximumElementCount} elements, more than a tensor can hold");
        return (int)count;
    }

    private Shape(int[] dimensions, bool _) => this.dimensions = dimensions;

    /// <summary>Wraps an array the caller promises never to mutate.</summary>
    internal static Shape Wrap(int[] dimensions) => new(dimensions, false);

    /// <summary>The shape of a scalar (rank 0).</summary>
    public static Shape Scalar => Wrap([]);

    /// <summary>The number of dimensions.</summary>
    public int Rank => dimensions?.Length ?? 0;

    /// <summary>The number of dimensions (same as <see cref="Rank"/>).</summary>
    public int Count => Rank;

    /// <summary>The size of dimension <paramref name="dimension"/>; negative values count from the end.</summary>
    public int this[int dimension] => Dimensions[NormalizeAxis(dimension, "shape")];

    /// <summary>The total number of elements: the product of the sizes (1 for a scalar).</summary>
    public int ElementCount => CheckedElementCount(Dimensions, "shape");

    internal int[] Dimensions => dimensions ?? [];

    /// <summary>The sizes as a new array.</summary>
    public int[] ToArray() => (int[])Dimensions.Clone();

    /// <summary>Row-major strides in elements: stride[i] is the product of the sizes after i.</summary>
    internal int[] Strides()
    {
        var dims = Dimensions;
        var strides = new int[dims.Length];
        int stride = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= dims[i]; // a product of trailing sizes: at most the element count unless a size is 0, when no stride is used
        }
        return strides;
    }

    /// <summary>Turns a possibly negative axis into 0..Rank-1, or throws naming the operation.</summary>
    public int NormalizeAxis(int axis, string operation)
    {
        int rank = Rank;
        int normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"{operation}: axis {axis} is out of range for a tensor of shape {this} (rank {rank})");
        return normalized;
    }

    /// <summary>The shape with dimension <paramref name="axis"/> replaced by <paramref name="size"/>.</summary>
    internal Shape With(int axis, int size)
    {
        var dims = ToArray();
        dims[axis] = size;
        return Wrap(dims);
    }

    /// <summary>The shape with dimension <paramref name="axis"/> removed.</summary>
    internal Shape Without(int axis)
    {
        var dims = Dimensions;
        var result = new int[dims.Length - 1];
        for (int i = 0, j = 0; i < dims.Length; i++)
            if (i != axis) result[j++] = dims[i];
        return Wrap(result);
    }

    /// <summary>The product of the sizes of dimensions [start, end).</summary>
    internal int Product(int start, int end)
    {
        return CheckedElementCount(Dimensions.AsSpan(start, end - start), "shape");
    }

    /// <inheritdoc />
    public bool Equals(Shape other) => Dimensions.AsSpan().SequenceEqual(other.Dimensions);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var size in Dimensions) hash.Add(size);
        return hash.ToHashCode();
    }

    /// <summary>True when both shapes have the same sizes.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>True when the shapes differ.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>A shape from an array of sizes.</summary>
    public static implicit operator Shape(int[] dimensions) => new(dimensions);

    /// <summary>The shape as <c>[2,3,4]</c>.</summary>
    public override string ToString() => "[" + string.Join(",", Dimensions) + "]";

    /// <inheritdoc />
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dimensions).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
