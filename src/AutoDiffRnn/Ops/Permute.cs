using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// permute: the axes reordered (output axis i is input axis axes[i]), materialized as a row-major copy.
/// VJP: g permuted by the inverse order. transpose swaps two axes through it.
/// </summary>
[Operation(Name)]
internal static class PermuteOp
{
    public static Tensor Apply(Tensor x, int[] axes)
    {
        if (axes.Length != x.Rank)
            throw new ArgumentException($"{Name}: {axes.Length} axes [{string.Join(",", axes)}] given for a tensor of rank {x.Rank} (shape {x.Shape})");
        var order = axes.Select(axis => x.Shape.NormalizeAxis(axis, Name)).ToArray();
        if (order.Distinct().Count() != order.Length)
            throw new ArgumentException($"{Name}: [{string.Join(",", axes)}] repeats an axis; it must order every axis of {x.Shape} once");
        if (order.Select((axis, i) => axis == i).All(same => same)) return x;
        var output = Tensor.Uninitialized(Shape.Wrap(order.Select(axis => x.Shape.Dimensions[axis]).ToArray()), x.DType); // every row is copied
        if (x.DType == DType.Float32) AxisLayout.Permute<float>(x.Span<float>(), x.Shape, order, output.Span<float>());
        else AxisLayout.Permute<double>(x.Span<double>(), x.Shape, order, output.Span<double>());
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
        return Tape.Record(Name, output, [x], g => [Apply(g, inverse)]);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "permute";
}

public sealed partial class Tensor
{
    /// <summary>The axes reordered: output axis i is this tensor's axis <paramref name="axes"/>[i] (a copy).</summary>
    public Tensor Permute(params int[] axes) => PermuteOp.Apply(this, axes);

    /// <summary>Swaps two axes (a copy), like <c>torch.transpose</c>.</summary>
    public Tensor Transpose(int axis0, int axis1)
    {
        var order = Enumerable.Range(0, Rank).ToArray();
        int first = Shape.NormalizeAxis(axis0, "transpose"), second = Shape.NormalizeAxis(axis1, "transpose");
        (order[first], order[second]) = (order[second], order[first]);
        return PermuteOp.Apply(this, order);
    }
}
