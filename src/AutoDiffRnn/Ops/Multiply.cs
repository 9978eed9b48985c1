using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>mul: a * b element-wise, broadcast. VJP: ((g * b) summed to a's shape, (g * a) summed to b's shape).</summary>
[Operation(Name)]
internal static class MultiplyOp
{
    public static Tensor Apply(Tensor a, Tensor b)
    {
        var output = Elementwise.Binary<Kernel>(Name, a, b);
        return Tape.Record(Name, output, [a, b], g =>
            [a.RequiresGrad ? (g * b).SumTo(a.Shape) : null, b.RequiresGrad ? (g * a).SumTo(b.Shape) : null]);
    }

    internal readonly struct Kernel : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(y, x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "mul";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => MultiplyOp.Apply(a, b);

    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => MultiplyOp.Apply(a, Scalar(b, a.DType));

    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => MultiplyOp.Apply(Scalar(a, b.DType), b);

    /// <summary>Element-wise product with broadcasting.</summary>
    public Tensor Multiply(Tensor other) => MultiplyOp.Apply(this, other);
}
