using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>sigmoid: y = 1 / (1 + e⁻ˣ). VJP: g y (1 - y), written with the output, as PyTorch does.</summary>
[Operation(Name)]
internal static class SigmoidOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [GradMode.IsEnabled ? g * (y * (1.0 - y)) : Elementwise.Gradient<Gradient>(g, y)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        // 1 / (1 + e⁻ˣ): e⁻ˣ overflowing to infinity gives exactly 0, so the result never becomes NaN for large |x|.
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, d);
    }

    /// <summary>y (1 − y): with g, the recorded formula g * (y * (1 - y)) operation for operation.</summary>
    internal readonly struct Gradient : IOutputDerivative
    {
        public static Vector<T> Of<T>(Vector<T> y) where T : unmanaged, IFloatingPointIeee754<T> => y * (Vector<T>.One - y);

        public static T Of<T>(T y) where T : unmanaged, IFloatingPointIeee754<T> => y * (T.One - y);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "sigmoid";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise logistic sigmoid 1 / (1 + e⁻ˣ).</summary>
    public Tensor Sigmoid() => SigmoidOp.Apply(this);
}
