using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// sum: the sum over some axes (all by default), keeping them as size 1 if asked.
/// VJP: g reshaped to the kept-dimension shape, then expanded back to x's shape.
/// </summary>
[Operation(Name)]
internal static class SumOp
{
    public static Tensor Apply(Tensor x, int[]? axes, bool keepDim)
    {
        var reduced = ReducedAxes(x.Shape, axes, "sum");
        var keptShape = KeptShape(x.Shape, reduced);
        var output = Tensor.Empty(keptShape, x.DType);
        if (x.DType == DType.Float32) Reduce<float>(x.Span<float>(), x.Shape, reduced, output.Span<float>());
        else Reduce<double>(x.Span<double>(), x.Shape, reduced, output.Span<double>());
        var result = keepDim ? output : output.Alias(DroppedShape(x.Shape, reduced));
        return Tape.Record(Name, result, [x], g => [g.Reshape(keptShape).Expand(x.Shape)], attributes: reduced);
    }

    /// <summary>The axes to reduce as a sorted, validated, duplicate-free list (all axes when null).</summary>
    internal static bool[] ReducedAxes(Shape shape, int[]? axes, string operation)
    {
        var reduced = new bool[shape.Rank];
        if (axes is null) { Array.Fill(reduced, true); return reduced; }
        foreach (var axis in axes)
        {
            int normalized = shape.NormalizeAxis(axis, operation);
            if (reduced[normalized])
                throw new ArgumentException($"{operation}: axis {axis} is listed twice for a tensor of shape {shape}");
            reduced[normalized] = true;
        }
        return reduced;
    }

    /// <summary>The shape with reduced axes set to size 1.</summary>
    internal static Shape KeptShape(Shape shape, bool[] reduced) =>
        Shape.Wrap(shape.Dimensions.Select((size, axis) => reduced[axis] ? 1 : size).ToArray());

    /// <summary>The shape with reduced axes removed.</summary>
    internal static Shape DroppedShape(Shape shape, bool[] reduced) =>
        Shape.Wrap(shape.Dimensions.Where((_, axis) => !reduced[axis]).ToArray());

    /// <summary>Sums <paramref name="source"/> over the reduced axes into <paramref name="destination"/> (kept shape, zeroed).</summary>
    private static void Reduce<T>(ReadOnlySpan<T> source, Shape shape, bool[] reduced, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduced.All(r => r)) { destination[0] = TensorPrimitives.Sum(source); return; }
        // Reduce one axis at a time, innermost first, viewing the tensor as [outer, size, inner] (partial sums in pooled buffers).
        ReadOnlySpan<T> current = source;
        T[]? buffer = null;
        var dims = shape.ToArray();
        for (int axis = dims.Length - 1; axis >= 0; axis--)
        {
            if (!reduced[axis] || dims[axis] == 1) continue;
            int outer = 1, inner = 1, size = dims[axis];
            for (int i = 0; i < axis; i++) outer *= dims[i];
            for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
            var nextBuffer = ArrayPool<T>.Shared.Rent(outer * inner);
            var next = nextBuffer.AsSpan(0, outer * inner);
            next.Clear();
            for (int o = 0; o < outer; o++)
            {
                var block = current.Slice(o * size * inner, size * inner);
                if (inner == 1) { next[o] = TensorPrimitives.Sum(block); continue; }
                var row = next.Slice(o * inner, inner);
                for (int k = 0; k < size; k++) TensorPrimitives.Add(row, block.Slice(k * inner, inner), row);
            }
            if (buffer is not null) ArrayPool<T>.Shared.Return(buffer);
            buffer = nextBuffer;
            current = next;
            dims[axis] = 1;
        }
        current.CopyTo(destination);
        if (buffer is not null) ArrayPool<T>.Shared.Return(buffer);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "sum";
}

public sealed partial class Tensor
{
    /// <summary>The sum of all elements, as a scalar tensor.</summary>
    public Tensor Sum() => SumOp.Apply(this, null, keepDim: false);

    /// <summary>The sum over one axis; <paramref name="keepDim"/> keeps it with size 1.</summary>
    public Tensor Sum(int axis, bool keepDim = false) => SumOp.Apply(this, [axis], keepDim);

    /// <summary>The sum over several axes; <paramref name="keepDim"/> keeps them with size 1.</summary>
    public Tensor Sum(int[] axes, bool keepDim = false) => SumOp.Apply(this, axes, keepDim);
}
