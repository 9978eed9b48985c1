using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>exp: y = eˣ. VJP: g y, written with the output.</summary>
[Operation("exp")]
internal static class ExpOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record("exp", y, [x], g => [g * y]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, d);
    }
}

public sealed partial class Tensor
{
    /// <summary>Element-wise exponential eˣ.</summary>
    public Tensor Exp() => ExpOp.Apply(this);
}
