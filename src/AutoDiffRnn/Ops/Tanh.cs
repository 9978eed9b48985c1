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
        return Tape.Record(Name, y, [x], g => [g * (1.0 - y * y)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => Kernels.Activations.Tanh(x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "tanh";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise hyperbolic tangent.</summary>
    public Tensor Tanh() => TanhOp.Apply(this);
}
