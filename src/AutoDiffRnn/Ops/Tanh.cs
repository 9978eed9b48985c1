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

    /// <summary>g (1 − y²) in one pass, operation for operation as the recorded formula.</summary>
    internal readonly struct Gradient : IGradientKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var output = new Vector<T>(y[i..]);
                    (new Vector<T>(g[i..]) * (Vector<T>.One - output * output)).CopyTo(d[i..]);
                }
            for (; i < d.Length; i++) d[i] = g[i] * (T.One - y[i] * y[i]);
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "tanh";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise hyperbolic tangent.</summary>
    public Tensor Tanh() => TanhOp.Apply(this);
}
