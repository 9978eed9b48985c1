using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>tanh: y = tanh(x). VJP: g * (1 - y²), written with the output, as PyTorch does.</summary>
[Operation(Name)]
internal static class TanhOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [GradMode.IsEnabled ? g * (1.0 - y * y) : Elementwise.Gradient<Gradient>(g, y)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => Kernels.Activations.Tanh(x, d);
    }

    /// <summary>1 − y²: with g, the recorded formula g * (1 - y * y) operation for operation.</summary>
    internal readonly struct Gradient : IOutputDerivative
    {
        public static Vector<T> Of<T>(Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector<T>.One - y * y;

        public static T Of<T>(T y) where T : unmanaged, IFloatingPointIeee754<T> => T.One - y * y;
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "tanh";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise hyperbolic tangent.</summary>
    public Tensor Tanh() => TanhOp.Apply(this);
}
