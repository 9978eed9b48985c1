using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>neg: -x. VJP: -g.</summary>
[Operation(Name)]
internal static class NegateOp
{
    public static Tensor Apply(Tensor x) =>
        Tape.Record(Name, Elementwise.Unary<Kernel>(x), [x], g => [-g]);

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "neg";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise negation.</summary>
    public static Tensor operator -(Tensor x) => NegateOp.Apply(x);

    /// <summary>Element-wise negation.</summary>
    public Tensor Negate() => NegateOp.Apply(this);
}
