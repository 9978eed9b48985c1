using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// relu: max(x, 0) (NaN stays NaN). VJP: g where the output is positive, else 0 (gradient 0 at x = 0, as PyTorch).
/// The mask is a constant, so double backward gives zero through it.
/// </summary>
[Operation(Name)]
internal static class ReluOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [g * y.Greater(0.0)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "relu";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise rectified linear unit max(x, 0); its gradient at 0 is 0.</summary>
    public Tensor Relu() => ReluOp.Apply(this);
}
