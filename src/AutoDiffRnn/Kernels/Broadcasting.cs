using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Kernels;

/// <summary>An element-wise binary kernel over spans, with the scalar-operand forms broadcasting needs.</summary>
internal interface IBinaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// NumPy broadcasting: the shape rule, and loops that run a span kernel over broadcast operands without
/// materializing them. Dimensions are coalesced first, so the common cases ([B,H]+[H], [B,T,H]*[B,T,1], tensor
/// with scalar) become a handful of long vectorized calls.
/// </summary>
internal static class Broadcasting
{
    /// <summary>The broadcast shape of two shapes, or an exception naming the operation and both shapes.</summary>
    public static Shape Shapes(string operation, Shape a, Shape b)
    {
        if (a == b) return a;
        int rank = Math.Max(a.Rank, b.Rank);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int sizeA = i < rank - a.Rank ? 1 : a.Dimensions[i - (rank - a.Rank)];
            int sizeB = i < rank - b.Rank ? 1 : b.Dimensions[i - (rank - b.Rank)];
            if (sizeA != sizeB && sizeA != 1 && sizeB != 1)
                throw new ArgumentException(
                    $"{operation}: cannot broadcast shapes {a} and {b}: dimension {i} (aligned from the right) has sizes {sizeA} and {sizeB}");
            result[i] = sizeA == 1 ? sizeB : sizeA;
        }
        return Shape.Wrap(result);
    }

    /// <summary>True when <paramref name="shape"/> broadcasts to <paramref name="target"/>.</summary>
    public static bool CanBroadcastTo(Shape shape, Shape target)
    {
        if (shape.Rank > target.Rank) return false;
        int offset = target.Rank - shape.Rank;
        for (int i = 0; i < shape.Rank; i++)
            if (shape.Dimensions[i] != 1 && shape.Dimensions[i] != target.Dimensions[i + offset]) return false;
        return true;
    }

    /// <summary>Strides of <paramref name="shape"/> aligned to <paramref name="target"/>'s rank, 0 along broadcast dimensions.</summary>
    private static int[] AlignedStrides(Shape shape, Shape target)
    {
        var strides = new int[target.Rank];
        var own = shape.Strides();
        int offset = target.Rank - shape.Rank;
        for (int i = 0; i < shape.Rank; i++)
            strides[i + offset] = shape.Dimensions[i] == 1 ? 0 : own[i];
        return strides;
    }

    /// <summary>
    /// A loop nest over <paramref name="target"/> for operands with the given strides, with adjacent dimensions
    /// merged wherever every operand steps through them as one, and size-1 dimensions dropped.
    /// </summary>
    private static (int[] Sizes, int[][] Strides) Coalesce(Shape target, params int[][] strides)
    {
        var sizes = new List<int>();
        var merged = strides.Select(_ => new List<int>()).ToArray();
        for (int d = 0; d < target.Rank; d++)
        {
            int size = target.Dimensions[d];
            if (size == 1) continue;
            int last = sizes.Count - 1;
            bool canMerge = last >= 0 && Enumerable.Range(0, strides.Length)
                .All(k => merged[k][last] == strides[k][d] * size);
            if (canMerge)
            {
                sizes[last] *= size;
                for (int k = 0; k < strides.Length; k++) merged[k][last] = strides[k][d];
            }
            else
            {
                sizes.Add(size);
                for (int k = 0; k < strides.Length; k++) merged[k].Add(strides[k][d]);
            }
        }
        if (sizes.Count == 0)
        {
            sizes.Add(1);
            foreach (var list in merged) list.Add(1);
        }
        return (sizes.ToArray(), merged.Select(list => list.ToArray()).ToArray());
    }

    /// <summary>destination = kernel(a, b) with a and b broadcast to destination's shape.</summary>
    public static void Binary<TKernel, T>(ReadOnlySpan<T> a, Shape shapeA, ReadOnlySpan<T> b, Shape shapeB, Span<T> destination, Shape target)
        where TKernel : IBinaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.IsEmpty) return; // an empty result (a size-0 dimension): nothing to compute
        if (shapeA == target && shapeB == target) { TKernel.Apply(a, b, destination); return; }
        if (shapeB.ElementCount == 1 && shapeA == target) { TKernel.Apply(a, b[0], destination); return; }
        if (shapeA.ElementCount == 1 && shapeB == target) { TKernel.Apply(a[0], b, destination); return; }

        var (sizes, strides) = Coalesce(target, AlignedStrides(shapeA, target), AlignedStrides(shapeB, target), target.Strides());
        int rank = sizes.Length, inner = sizes[rank - 1];
        int innerA = strides[0][rank - 1], innerB = strides[1][rank - 1];
        int outer = destination.Length / inner;
        Span<int> index = stackalloc int[rank];
        int offsetA = 0, offsetB = 0, offsetD = 0;
        for (int row = 0; row < outer; row++)
        {
            var target_ = destination.Slice(offsetD, inner);
            if (innerA != 0 && innerB != 0) TKernel.Apply(a.Slice(offsetA, inner), b.Slice(offsetB, inner), target_);
            else if (innerA != 0) TKernel.Apply(a.Slice(offsetA, inner), b[offsetB], target_);
            else if (innerB != 0) TKernel.Apply(a[offsetA], b.Slice(offsetB, inner), target_);
            else
            {
                TKernel.Apply(a.Slice(offsetA, 1), b[offsetB], target_[..1]);
                target_.Fill(target_[0]);
            }
            // advance the odometer over the outer dimensions
            for (int d = rank - 2; d >= 0; d--)
            {
                offsetA += strides[0][d]; offsetB += strides[1][d]; offsetD += strides[2][d];
                if (++index[d] < sizes[d]) break;
                offsetA -= strides[0][d] * sizes[d]; offsetB -= strides[1][d] * sizes[d]; offsetD -= strides[2][d] * sizes[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>destination (of <paramref name="shape"/>) = source broadcast to <paramref name="target"/>.</summary>
    public static void Expand<T>(ReadOnlySpan<T> source, Shape shape, Span<T> destination, Shape target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (shape == target) { source.CopyTo(destination); return; }
        if (destination.IsEmpty) return; // broadcast to a size-0 dimension
        if (shape.ElementCount == 1) { destination.Fill(source[0]); return; }
        var (sizes, strides) = Coalesce(target, AlignedStrides(shape, target), target.Strides());
        int rank = sizes.Length, inner = sizes[rank - 1], innerSource = strides[0][rank - 1];
        Span<int> index = stackalloc int[rank];
        int offsetS = 0, offsetD = 0;
        for (int row = 0; row < destination.Length / inner; row++)
        {
            if (innerSource != 0) source.Slice(offsetS, inner).CopyTo(destination.Slice(offsetD, inner));
            else destination.Slice(offsetD, inner).Fill(source[offsetS]);
            for (int d = rank - 2; d >= 0; d--)
            {
                offsetS += strides[0][d]; offsetD += strides[1][d];
                if (++index[d] < sizes[d]) break;
                offsetS -= strides[0][d] * sizes[d]; offsetD -= strides[1][d] * sizes[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// destination (of <paramref name="shape"/>, zeroed by the caller) = source (of <paramref name="target"/>)
    /// summed over the dimensions along which <paramref name="shape"/> was broadcast: the adjoint of <see cref="Expand"/>.
    /// </summary>
    public static void SumTo<T>(ReadOnlySpan<T> source, Shape target, Span<T> destination, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (shape == target) { source.CopyTo(destination); return; }
        if (destination.IsEmpty) return;
        if (source.IsEmpty) { destination.Clear(); return; } // a sum over nothing is 0, as in PyTorch
        if (shape.ElementCount == 1) { destination[0] = TensorPrimitives.Sum(source); return; }
        var (sizes, strides) = Coalesce(target, AlignedStrides(shape, target), target.Strides());
        int rank = sizes.Length, inner = sizes[rank - 1], innerDestination = strides[0][rank - 1];
        Span<int> index = stackalloc int[rank];
        int offsetD = 0, offsetS = 0;
        for (int row = 0; row < source.Length / inner; row++)
        {
            var slice = source.Slice(offsetS, inner);
            if (innerDestination != 0) TensorPrimitives.Add(destination.Slice(offsetD, inner), slice, destination.Slice(offsetD, inner));
            else destination[offsetD] += TensorPrimitives.Sum(slice);
            for (int d = rank - 2; d >= 0; d--)
            {
                offsetD += strides[0][d]; offsetS += strides[1][d];
                if (++index[d] < sizes[d]) break;
                offsetD -= strides[0][d] * sizes[d]; offsetS -= strides[1][d] * sizes[d];
                index[d] = 0;
            }
        }
    }
}
