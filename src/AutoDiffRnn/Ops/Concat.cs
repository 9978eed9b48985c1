using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// concat: tensors joined along one axis; all other sizes and the element type must agree. VJP: each input gets the narrow of g
/// at its own place. stack inserts a new axis of size 1 into every tensor, then concatenates.
/// </summary>
[Operation(Name)]
internal static class ConcatOp
{
    public static Tensor Apply(IReadOnlyList<Tensor> tensors, int axis, string name = Name)
    {
        if (tensors.Count == 0)
            throw new ArgumentException($"{name}: needs at least one tensor");
        var first = tensors[0];
        int normalized = first.Shape.NormalizeAxis(axis, name);
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            if (tensor.DType != first.DType)
                throw new ArgumentException($"{name}: tensor {i} is {tensor.DType.Name()} but tensor 0 is {first.DType.Name()}");
            bool compatible = tensor.Rank == first.Rank && Enumerable.Range(0, first.Rank)
                .All(d => d == normalized || tensor.Shape.Dimensions[d] == first.Shape.Dimensions[d]);
            if (!compatible)
                throw new ArgumentException(
                    $"{name}: tensor {i} has shape {tensor.Shape} but tensor 0 has {first.Shape}; all sizes except axis {axis} must match");
            total += tensor.Shape[normalized];
        }
        if (tensors.Count == 1) return first;
        var output = Tensor.Uninitialized(first.Shape.With(normalized, total), first.DType); // every input is copied in
        if (first.DType == DType.Float32) Join<float>(tensors, normalized, output);
        else Join<double>(tensors, normalized, output);
        var sizes = tensors.Select(t => t.Shape[normalized]).ToArray();
        return Tape.Record(Name, output, tensors.ToArray(), g =>
        {
            var gradients = new Tensor?[sizes.Length];
            for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++)
                gradients[i] = tensors[i].RequiresGrad ? g.Narrow(normalized, start, sizes[i]) : null;
            return gradients;
        }, attributes: normalized);
    }

    private static void Join<T>(IReadOnlyList<Tensor> tensors, int axis, Tensor output) where T : unmanaged
    {
        var (outer, total, inner) = AxisLayout.Split(output.Shape, axis);
        var destination = output.Span<T>();
        int offset = 0;
        foreach (var tensor in tensors)
        {
            int block = tensor.Shape[axis] * inner;
            ReadOnlySpan<T> source = tensor.Span<T>();
            for (int o = 0; o < outer; o++)
                source.Slice(o * block, block).CopyTo(destination.Slice(o * total * inner + offset, block));
            offset += block;
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "concat";
}

public sealed partial class Tensor
{
    /// <summary>Joins tensors along an existing axis, like <c>torch.cat</c>.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis) => ConcatOp.Apply(tensors, axis);

    /// <summary>Joins tensors of equal shape along a new axis inserted at <paramref name="axis"/>, like <c>torch.stack</c>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis)
    {
        if (tensors.Count == 0)
            throw new ArgumentException("stack: needs at least one tensor");
        var shape = tensors[0].Shape;
        int position = axis < 0 ? axis + shape.Rank + 1 : axis;
        if (position < 0 || position > shape.Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"stack: axis {axis} is out of range for tensors of rank {shape.Rank}");
        for (int i = 1; i < tensors.Count; i++)
            if (tensors[i].Shape != shape)
                throw new ArgumentException($"stack: tensor {i} has shape {tensors[i].Shape} but tensor 0 has {shape}; stacked tensors must have equal shapes");
        var expanded = shape.ToArray().ToList();
        expanded.Insert(position, 1);
        var withAxis = expanded.ToArray();
        return ConcatOp.Apply(tensors.Select(t => t.Reshape(withAxis)).ToArray(), position, "stack");
    }
}
