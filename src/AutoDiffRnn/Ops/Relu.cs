using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// relu: max(x, 0) (NaN stays NaN). VJP: g where the output is positive, else 0 (gradient 0 at x = 0, as PyTorch).
/// The mask is a constant (<see cref="Tensor.Greater(double)"/>), so double backward gives zero through it.
/// </summary>
[Operation(Name)]
internal static class ReluOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [GradMode.IsEnabled ? g * y.Greater(0.0) : Elementwise.Gradient<Gradient>(g, y)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
    }

    /// <summary>
    /// y &gt; 0 ? 1 : 0: with g, the recorded formula operation for operation (a NaN or infinite g where y ≤ 0 gives NaN, as there); the
    /// mask of <see cref="ComparisonOp.IsGreater"/>, vectorized and branch-free.
    /// </summary>
    internal readonly struct Gradient : IOutputDerivative
    {
        public static Vector<T> Of<T>(Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
            ComparisonOp.IsGreater.Holds(y, Vector<T>.Zero) & Vector<T>.One;

        public static T Of<T>(T y) where T : unmanaged, IFloatingPointIeee754<T> => ComparisonOp.IsGreater.Holds(y, T.Zero) ? T.One : T.Zero;
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "relu";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise rectified linear unit max(x, 0); its gradient at 0 is 0.</summary>
    public Tensor Relu() => ReluOp.Apply(this);
}
