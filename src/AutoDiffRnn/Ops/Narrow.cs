using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// narrow: the slice [start, start+length) along one axis (a copy). VJP: narrow_backward, g placed into zeros of x's shape —
/// itself a recorded linear op whose VJP is narrow again, so gradients of gradients flow. select, split and chunk are narrows.
/// </summary>
[Operation(NarrowName)]
[Operation(NarrowBackwardName)]
internal static class NarrowOp
{
    public static Tensor Apply(Tensor x, int axis, int start, int length)
    {
        int normalized = x.Shape.NormalizeAxis(axis, NarrowName);
        int size = x.Shape[normalized];
        if (start < 0 || length < 0 || start > size || length > size - start) // no start + length: it could overflow
            throw new ArgumentOutOfRangeException(nameof(start),
                $"{NarrowName}: start {start} and length {length} (the slice [{start}, {(long)start + length})) are outside dim {axis} of size {size} (shape {x.Shape})");
        if (start == 0 && length == size) return x;
        var output = Tensor.Uninitialized(x.Shape.With(normalized, length), x.DType); // every block is copied
        if (x.DType == DType.Float32) Copy<float>(x.Span<float>(), output.Span<float>(), x.Shape, normalized, start, length);
        else Copy<double>(x.Span<double>(), output.Span<double>(), x.Shape, normalized, start, length);
        Node? node = null;
        var recorded = Tape.Record(NarrowName, output, [x], g =>
        {
            // in a first-order pass that already holds a sum for x (the other chunks of a gate block), g is added into its slice
            if (Tape.PendingGradient(node, x) is not { } sum) return [Backward(g, x.Shape, normalized, start)];
            if (sum.DType == DType.Float32) AddIntoSlice<float>(sum.Span<float>(), g.Span<float>(), x.Shape, normalized, start, length);
            else AddIntoSlice<double>(sum.Span<double>(), g.Span<double>(), x.Shape, normalized, start, length);
            return [null];
        }, attributes: (normalized, start, length));
        node = recorded.GradFn;
        return recorded;
    }

    /// <summary>A tensor of <paramref name="shape"/> that is zero except for <paramref name="slice"/> at [start, ...) along the axis.</summary>
    public static Tensor Backward(Tensor slice, Shape shape, int axis, int start)
    {
        int length = slice.Shape[axis];
        var output = Tensor.Uninitialized(shape, slice.DType); // Place writes every element, zeros around the slice
        if (slice.DType == DType.Float32) Place<float>(output.Span<float>(), slice.Span<float>(), shape, axis, start, length);
        else Place<double>(output.Span<double>(), slice.Span<double>(), shape, axis, start, length);
        return Tape.Record(NarrowBackwardName, output, [slice], g => [Apply(g, axis, start, length)], attributes: (axis, start, length));
    }

    /// <summary>Copies the slice of <paramref name="full"/> (of <paramref name="shape"/>) along <paramref name="axis"/> into <paramref name="slice"/>.</summary>
    private static void Copy<T>(ReadOnlySpan<T> full, Span<T> slice, Shape shape, int axis, int start, int length) where T : unmanaged
    {
        var (outer, size, inner) = AxisLayout.Split(shape, axis);
        int block = length * inner;
        for (int o = 0; o < outer; o++)
            full.Slice((o * size + start) * inner, block).CopyTo(slice.Slice(o * block, block));
    }

    /// <summary>Adds <paramref name="slice"/> into its place along the axis of <paramref name="full"/> (of <paramref name="shape"/>).</summary>
    private static void AddIntoSlice<T>(Span<T> full, ReadOnlySpan<T> slice, Shape shape, int axis, int start, int length)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (outer, size, inner) = AxisLayout.Split(shape, axis);
        int block = length * inner;
        for (int o = 0; o < outer; o++)
        {
            var target = full.Slice((o * size + start) * inner, block);
            System.Numerics.Tensors.TensorPrimitives.Add(target, slice.Slice(o * block, block), target);
        }
    }

    /// <summary>Writes all of <paramref name="full"/> in one pass: <paramref name="slice"/> at its place along the axis, zeros around it.</summary>
    private static void Place<T>(Span<T> full, ReadOnlySpan<T> slice, Shape shape, int axis, int start, int length) where T : unmanaged
    {
        var (outer, size, inner) = AxisLayout.Split(shape, axis);
        int block = length * inner, before = start * inner, after = (size - start - length) * inner;
        for (int o = 0; o < outer; o++)
        {
            var row = full.Slice(o * size * inner, size * inner);
            row[..before].Clear();
            slice.Slice(o * block, block).CopyTo(row.Slice(before, block));
            row.Slice(before + block, after).Clear();
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string NarrowName = "narrow";
    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string NarrowBackwardName = "narrow_backward";
}

public sealed partial class Tensor
{
    /// <summary>The slice [start, start + length) along <paramref name="axis"/>, like <c>torch.narrow</c>.</summary>
    public Tensor Narrow(int axis, int start, int length) => NarrowOp.Apply(this, axis, start, length);

    /// <summary>The entry <paramref name="index"/> along <paramref name="axis"/>, with that axis removed; negative indices count from the end.</summary>
    public Tensor Select(int axis, int index)
    {
        int normalized = Shape.NormalizeAxis(axis, "select");
        int size = Shape[normalized];
        int position = index < 0 ? index + size : index;
        if (position < 0 || position >= size)
            throw new ArgumentOutOfRangeException(nameof(index), $"select: index {index} is outside axis {axis} of size {size} (shape {Shape})");
        return Narrow(normalized, position, 1).Reshape(Shape.Without(normalized));
    }

    /// <summary>Splits along <paramref name="axis"/> into pieces of the given sizes, which must add up to the axis size.</summary>
    public Tensor[] Split(int[] sizes, int axis)
    {
        int normalized = Shape.NormalizeAxis(axis, "split");
        if (sizes.Any(size => size < 0) || sizes.Sum(size => (long)size) != Shape[normalized])
            throw new ArgumentException($"split: sizes [{string.Join(",", sizes)}] do not add up to {Shape[normalized]}, the size of axis {axis} of {Shape}");
        var pieces = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) pieces[i] = Narrow(normalized, start, sizes[i]);
        return pieces;
    }

    /// <summary>Splits along <paramref name="axis"/> into pieces of <paramref name="size"/> (the last may be smaller), like <c>torch.split</c>.</summary>
    public Tensor[] Split(int size, int axis)
    {
        int normalized = Shape.NormalizeAxis(axis, "split");
        if (size <= 0)
            throw new ArgumentException($"split: the piece size must be positive, got {size}");
        int total = Shape[normalized];
        int pieces = (int)(((long)total + size - 1) / size);
        return Split(Enumerable.Range(0, pieces).Select(i => (int)Math.Min(size, total - (long)i * size)).ToArray(), normalized);
    }

    /// <summary>Splits along <paramref name="axis"/> into <paramref name="chunks"/> pieces of ceil(size/chunks) (fewer if the size runs out), like <c>torch.chunk</c>.</summary>
    public Tensor[] Chunk(int chunks, int axis)
    {
        if (chunks <= 0)
            throw new ArgumentException($"chunk: the number of chunks must be positive, got {chunks}");
        int normalized = Shape.NormalizeAxis(axis, "chunk");
        int size = Shape[normalized];
        return Split((int)Math.Max(1, ((long)size + chunks - 1) / chunks), normalized);
    }
}
