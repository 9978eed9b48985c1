using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// index_select: the slices at the given indices along one axis, gathered in order (an embedding lookup gathers rows).
/// VJP: index_add, which adds each gradient slice back at its index (repeated indices accumulate) — a recorded linear op
/// whose VJP is index_select again.
/// </summary>
[Operation(IndexSelectName)]
[Operation(IndexAddName)]
internal static class IndexSelectOp
{
    public static Tensor Apply(Tensor x, int axis, int[] indices) => Apply(x, axis, indices, copyIndices: true);

    /// <summary>index_select; without <paramref name="copyIndices"/> the caller hands <paramref name="indices"/> over (never to change them), and no copy is kept.</summary>
    public static Tensor Apply(Tensor x, int axis, int[] indices, bool copyIndices)
    {
        int normalized = x.Shape.NormalizeAxis(axis, IndexSelectName);
        int size = x.Shape[normalized];
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] < 0 || indices[i] >= size)
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"{IndexSelectName}: index {indices[i]} (position {i}) is outside axis {axis} of size {size} (shape {x.Shape})");
        var copy = copyIndices ? (int[])indices.Clone() : indices;
        var output = Tensor.Empty(x.Shape.With(normalized, copy.Length), x.DType);
        if (x.DType == DType.Float32) Gather<float>(x.Span<float>(), x.Shape, normalized, copy, output.Span<float>());
        else Gather<double>(x.Span<double>(), x.Shape, normalized, copy, output.Span<double>());
        return Tape.Record(IndexSelectName, output, [x], g => [IndexAdd(g, x.Shape, normalized, copy)]);
    }

    /// <summary>Zeros of <paramref name="shape"/> with each slice of <paramref name="source"/> added at its index along the axis.</summary>
    public static Tensor IndexAdd(Tensor source, Shape shape, int axis, int[] indices)
    {
        var output = Tensor.Empty(shape, source.DType);
        if (source.DType == DType.Float32) Scatter<float>(source.Span<float>(), shape, axis, indices, output.Span<float>());
        else Scatter<double>(source.Span<double>(), shape, axis, indices, output.Span<double>());
        return Tape.Record(IndexAddName, output, [source], g => [Apply(g, axis, indices)]);
    }

    private static void Gather<T>(ReadOnlySpan<T> source, Shape shape, int axis, int[] indices, Span<T> destination) where T : unmanaged
    {
        var (outer, size, inner) = AxisLayout.Split(shape, axis);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < indices.Length; j++)
                source.Slice((o * size + indices[j]) * inner, inner).CopyTo(destination.Slice((o * indices.Length + j) * inner, inner));
    }

    private static void Scatter<T>(ReadOnlySpan<T> source, Shape shape, int axis, int[] indices, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, size, inner) = AxisLayout.Split(shape, axis);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < indices.Length; j++)
            {
                var target = destination.Slice((o * size + indices[j]) * inner, inner);
                TensorPrimitives.Add(target, source.Slice((o * indices.Length + j) * inner, inner), target);
            }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string IndexSelectName = "index_select";
    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string IndexAddName = "index_add";
}

public sealed partial class Tensor
{
    /// <summary>
    /// The slices at <paramref name="indices"/> along <paramref name="axis"/>, in order (indices may repeat), like <c>torch.index_select</c>.
    /// <c>weight.IndexSelect(0, tokenIds)</c> is an embedding lookup.
    /// </summary>
    public Tensor IndexSelect(int axis, int[] indices) => IndexSelectOp.Apply(this, axis, indices);
}
