using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// expand: x broadcast to a larger shape (NumPy rules), materialized. VJP: g summed back to x's shape (sum_to).
/// sum_to is its adjoint: g summed over the broadcast dimensions down to a smaller shape. VJP: g expanded back.
/// Every broadcasting op reduces its gradients with sum_to.
/// </summary>
[Operation(ExpandName)]
[Operation(SumToName)]
internal static class ExpandOp
{
    public static Tensor Expand(Tensor x, Shape target)
    {
        if (!Broadcasting.CanBroadcastTo(x.Shape, target))
            throw new ArgumentException($"{ExpandName}: cannot broadcast shape {x.Shape} to {target}");
        if (x.Shape == target) return x;
        var output = Tensor.Uninitialized(target, x.DType); // every element is copied or filled
        if (x.DType == DType.Float32) Broadcasting.Expand<float>(x.Span<float>(), x.Shape, output.Span<float>(), target);
        else Broadcasting.Expand<double>(x.Span<double>(), x.Shape, output.Span<double>(), target);
        return Tape.Record(ExpandName, output, [x], g => [SumTo(g, x.Shape)]);
    }

    public static Tensor SumTo(Tensor x, Shape target)
    {
        if (!Broadcasting.CanBroadcastTo(target, x.Shape))
            throw new ArgumentException($"{SumToName}: shape {target} does not broadcast to {x.Shape}, so {x.Shape} cannot be summed down to it");
        if (x.Shape == target) return x;
        var output = Tensor.Empty(target, x.DType);
        if (x.DType == DType.Float32) Broadcasting.SumTo<float>(x.Span<float>(), x.Shape, output.Span<float>(), target);
        else Broadcasting.SumTo<double>(x.Span<double>(), x.Shape, output.Span<double>(), target);
        return Tape.Record(SumToName, output, [x], g => [Expand(g, x.Shape)]);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string ExpandName = "expand";
    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string SumToName = "sum_to";
}

public sealed partial class Tensor
{
    /// <summary>This tensor broadcast to <paramref name="shape"/> (NumPy rules), like <c>torch.Tensor.expand</c>.</summary>
    public Tensor Expand(Shape shape) => ExpandOp.Expand(this, shape);

    /// <summary>
    /// Sums over the dimensions along which <paramref name="shape"/> would be broadcast to this tensor's shape,
    /// giving a tensor of <paramref name="shape"/>: the adjoint of <see cref="Expand"/>.
    /// </summary>
    public Tensor SumTo(Shape shape) => ExpandOp.SumTo(this, shape);
}
