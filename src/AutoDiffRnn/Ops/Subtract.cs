using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>sub: a - b, broadcast. VJP: (g summed to a's shape, -g summed to b's shape).</summary>
[Operation(Name)]
internal static class SubtractOp
{
    public static Tensor Apply(Tensor a, Tensor b)
    {
        var output = Elementwise.Binary<Kernel>(Name, a, b);
        return Tape.Record(Name, output, [a, b], g => [g.SumTo(a.Shape), b.RequiresGrad ? (-g).SumTo(b.Shape) : null]);
    }

    internal readonly struct Kernel : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "sub";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => SubtractOp.Apply(a, b);

    /// <summary>Subtracts a scalar from every element.</summary>
    public static Tensor operator -(Tensor a, double b) => SubtractOp.Apply(a, Scalar(b, a.DType));

    /// <summary>A scalar minus every element.</summary>
    public static Tensor operator -(double a, Tensor b) => SubtractOp.Apply(Scalar(a, b.DType), b);

    /// <summary>Element-wise difference with broadcasting.</summary>
    public Tensor Subtract(Tensor other) => SubtractOp.Apply(this, other);
}
