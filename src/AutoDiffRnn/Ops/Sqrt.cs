using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>sqrt: y = √x (NaN for negative x). VJP: g / (2 y), written with the output, as PyTorch does.</summary>
[Operation(Name)]
internal static class SqrtOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [g / (y * 2.0)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "sqrt";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise square root.</summary>
    public Tensor Sqrt() => SqrtOp.Apply(this);
}
