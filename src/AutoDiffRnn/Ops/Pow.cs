using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// pow: xᵉ element-wise for a scalar exponent e (<see cref="Math.Pow"/> semantics: a negative base with a
/// non-integer exponent gives NaN). VJP: g e x^(e-1); zero when e = 0 (as PyTorch, so that 0⁰ has no NaN gradient).
/// </summary>
[Operation(Name)]
internal static class PowOp
{
    public static Tensor Apply(Tensor x, double exponent)
    {
        var output = Tensor.Uninitialized(x.Shape, x.DType); // written whole by the kernel
        if (x.DType == DType.Float32) Forward(x.Span<float>(), (float)exponent, output.Span<float>());
        else Forward(x.Span<double>(), exponent, output.Span<double>());
        return Tape.Record(Name, output, [x], g =>
            [exponent == 0 ? Tensor.ZerosLike(x) : g * (exponent * x.Pow(exponent - 1))], attributes: exponent);
    }

    private static void Forward<T>(ReadOnlySpan<T> x, T exponent, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Pow(x, exponent, destination);

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "pow";
}

public sealed partial class Tensor
{
    /// <summary>Every element raised to the power <paramref name="exponent"/>.</summary>
    public Tensor Pow(double exponent) => PowOp.Apply(this, exponent);
}
