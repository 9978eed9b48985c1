namespace AutoDiffRnn.Kernels;

/// <summary>
/// Copies that rearrange the axes of row-major data. Most axis ops view a tensor as [outer, size, inner] around one axis
/// (<see cref="Split"/>); <see cref="Permute"/> reorders axes in general.
/// </summary>
internal static class AxisLayout
{
    /// <summary>The sizes before, at and after <paramref name="axis"/>: the tensor seen as [outer, size, inner].</summary>
    public static (int Outer, int Size, int Inner) Split(Shape shape, int axis) =>
        (shape.Product(0, axis), shape.Dimensions[axis], shape.Product(axis + 1, shape.Rank));

    /// <summary>destination = source with its axes reordered: output axis i is input axis <paramref name="axes"/>[i].</summary>
    public static void Permute<T>(ReadOnlySpan<T> source, Shape shape, int[] axes, Span<T> destination) where T : unmanaged
    {
        int rank = axes.Length;
        if (rank == 0 || source.Length == 0) { source.CopyTo(destination); return; }
        var inputStrides = shape.Strides();
        var sizes = new int[rank];
        var strides = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            sizes[i] = shape.Dimensions[axes[i]];
            strides[i] = inputStrides[axes[i]];
        }
        int inner = sizes[rank - 1], innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int offset = 0;
        for (int start = 0; start < destination.Length; start += inner)
        {
            var row = destination.Slice(start, inner);
            if (innerStride == 1) source.Slice(offset, inner).CopyTo(row);
            else for (int j = 0; j < inner; j++) row[j] = source[offset + j * innerStride];
            for (int d = rank - 2; d >= 0; d--)
            {
                offset += strides[d];
                if (++index[d] < sizes[d]) break;
                offset -= strides[d] * sizes[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>The axis order that moves the flagged axes to the end (kept axes first, both in their original order).</summary>
    public static int[] ReducedAxesLast(bool[] reduced) =>
        Enumerable.Range(0, reduced.Length).Where(a => !reduced[a]).Concat(Enumerable.Range(0, reduced.Length).Where(a => reduced[a])).ToArray();

    /// <summary>
    /// The tensor's values with the reduced axes moved last, as [rows, rowLength] where each row holds one output element's inputs.
    /// Returns the source itself when the reduced axes already are the last ones.
    /// </summary>
    public static T[] RowsOverReducedAxes<T>(Tensor x, bool[] reduced, out int rows, out int rowLength) where T : unmanaged
    {
        rowLength = 1;
        for (int a = 0; a < reduced.Length; a++) if (reduced[a]) rowLength *= x.Shape.Dimensions[a];
        rows = rowLength == 0 ? 0 : x.ElementCount / rowLength;
        var order = ReducedAxesLast(reduced);
        bool alreadyLast = order.Select((axis, i) => axis == i).All(same => same);
        if (alreadyLast) return (T[])x.Storage;
        var permuted = new T[x.ElementCount];
        Permute<T>(x.Span<T>(), x.Shape, order, permuted);
        return permuted;
    }
}
