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

    /// <summary>g (y (1 − y)) in one pass, operation for operation as the recorded formula.</summary>
    internal readonly struct Gradient : IGradientKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var output = new Vector<T>(y[i..]);
                    (new Vector<T>(g[i..]) * (output * (Vector<T>.One - output))).CopyTo(d[i..]);
                }
            for (; i < d.Length; i++) d[i] = g[i] * (y[i] * (T.One - y[i]));
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "sigmoid";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise logistic sigmoid 1 / (1 + e⁻ˣ).</summary>
    public Tensor Sigmoid() => SigmoidOp.Apply(this);
}
