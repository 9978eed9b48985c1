using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// log1p: y = ln(1 + x), accurate for tiny x (where 1 + x rounds to 1 and ln(1 + x) computed directly is 0 or off): ln of the
/// rounded u = 1 + x is rescaled by x / (u − 1) (Goldberg's method). ln(1 + x) = −infinity at x = −1, NaN below. VJP: g / (1 + x).
/// </summary>
[Operation(Name)]
internal static class Log1pOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [g / (x + 1.0)]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Add(x, T.One, d);
            TensorPrimitives.Log(d, d); // ln(u) with u = fl(1 + x)
            for (int i = 0; i < d.Length; i++)
            {
                T roundedX = (T.One + x[i]) - T.One;
                if (roundedX == T.Zero) d[i] = x[i];                                  // |x| below half an ulp of 1: ln(1 + x) = x
                else if (T.IsFinite(roundedX)) d[i] *= x[i] / roundedX;               // undo the rounding of 1 + x
            }
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "log1p";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise ln(1 + x), accurate for tiny x (as <c>torch.log1p</c>).</summary>
    public Tensor Log1p() => Log1pOp.Apply(this);
}
