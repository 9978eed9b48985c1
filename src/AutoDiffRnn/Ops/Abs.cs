using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// abs: |x|. VJP: g sign(x), with sign(0) = 0: the subgradient at 0 is 0, as in PyTorch.
/// sign(x) is a constant mask (its derivative is zero almost everywhere), so double backward gives zero through it.
/// </summary>
[Operation(Name)]
internal static class AbsOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [g * (x.Greater(0.0) - x.Less(0.0))]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "abs";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise absolute value. Its gradient at 0 is 0 (PyTorch's choice of subgradient).</summary>
    public Tensor Abs() => AbsOp.Apply(this);
}
