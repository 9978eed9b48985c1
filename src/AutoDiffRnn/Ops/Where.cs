using System.Numerics;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// where: whenTrue where the condition is nonzero (NaN counts as nonzero, as in PyTorch's bool conversion), else
/// whenFalse; the three are broadcast together (NumPy rules). The condition may be of either element type; the two
/// value tensors must share one. VJP: g where the condition holds (summed to whenTrue's shape), g where it does not
/// (summed to whenFalse's shape); the condition is not differentiated (it is not an input on the tape).
/// </summary>
[Operation(Name)]
internal static class WhereOp
{
    public static Tensor Apply(Tensor condition, Tensor whenTrue, Tensor whenFalse)
    {
        Elementwise.RequireSameDType("where", whenTrue, whenFalse);
        var shape = Broadcasting.Shapes("where", Broadcasting.Shapes("where", condition.Shape, whenTrue.Shape), whenFalse.Shape);
        // A constant in the values' type; converting a 0/1 mask rather than the values keeps tiny float64 values nonzero.
        var mask = condition.DType == whenTrue.DType ? condition.Detach() : (1.0 - condition.Detach().Equal(0.0)).To(whenTrue.DType);
        var output = Tensor.Empty(shape, whenTrue.DType);
        if (output.DType == DType.Float32) Forward<float>(mask, whenTrue, whenFalse, output);
        else Forward<double>(mask, whenTrue, whenFalse, output);
        return Tape.Record(Name, output, [whenTrue, whenFalse], g =>
        {
            var zero = Tensor.Scalar(0.0, g.DType);
            return
            [
                whenTrue.RequiresGrad ? Apply(mask, g, zero).SumTo(whenTrue.Shape) : null,
                whenFalse.RequiresGrad ? Apply(mask, zero, g).SumTo(whenFalse.Shape) : null,
            ];
        });
    }

    private static void Forward<T>(Tensor condition, Tensor whenTrue, Tensor whenFalse, Tensor output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> selector = Broadcast<T>(condition, output.Shape), first = Broadcast<T>(whenTrue, output.Shape), second = Broadcast<T>(whenFalse, output.Shape);
        var destination = output.Span<T>();
        for (int i = 0; i < destination.Length; i++)
            destination[i] = selector[i] != T.Zero ? first[i] : second[i];
    }

    /// <summary>The tensor's values broadcast to <paramref name="shape"/> (its own storage when no broadcasting is needed).</summary>
    private static ReadOnlySpan<T> Broadcast<T>(Tensor x, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Shape == shape) return x.Span<T>();
        var expanded = new T[shape.ElementCount];
        Broadcasting.Expand<T>(x.Span<T>(), x.Shape, expanded, shape);
        return expanded;
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "where";
}

public sealed partial class Tensor
{
    /// <summary>
    /// Element-wise selection: <paramref name="whenTrue"/> where <paramref name="condition"/> is nonzero, else
    /// <paramref name="whenFalse"/>, all three broadcast together (like <c>torch.where</c>). The condition is typically a
    /// 0/1 mask from <see cref="Greater(Tensor)"/> and friends; it receives no gradient.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse) => WhereOp.Apply(condition, whenTrue, whenFalse);
}
