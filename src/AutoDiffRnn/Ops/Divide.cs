using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// div: a / b element-wise, broadcast (NumPy rules). IEEE semantics: x / 0 is ±infinity, 0 / 0 is NaN.
/// VJP: (g / b summed to a's shape, -g a / b² summed to b's shape).
/// </summary>
[Operation(Name)]
internal static class DivideOp
{
    public static Tensor Apply(Tensor a, Tensor b)
    {
        var output = Elementwise.Binary<Kernel>(Name, a, b);
        return Tape.Record(Name, output, [a, b], g =>
        [
            a.RequiresGrad ? (g / b).SumTo(a.Shape) : null,
            b.RequiresGrad ? (-(g * a) / (b * b)).SumTo(b.Shape) : null,
        ]);
    }

    internal readonly struct Kernel : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "div";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => DivideOp.Apply(a, b);

    /// <summary>Divides every element by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => DivideOp.Apply(a, Scalar(b, a.DType));

    /// <summary>A scalar divided by every element.</summary>
    public static Tensor operator /(double a, Tensor b) => DivideOp.Apply(Scalar(a, b.DType), b);

    /// <summary>Element-wise quotient <c>this / other</c> with broadcasting.</summary>
    public Tensor Divide(Tensor other) => DivideOp.Apply(this, other);
}
