using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>log: y = ln x (ln 0 = -infinity, ln of a negative number = NaN). VJP: g / x.</summary>
[Operation(Name)]
internal static class LogOp
{
    public static Tensor Apply(Tensor x)
    {
        var y = Elementwise.Unary<Kernel>(x);
        return Tape.Record(Name, y, [x], g => [g / x]);
    }

    internal readonly struct Kernel : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, d);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "log";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise natural logarithm.</summary>
    public Tensor Log() => LogOp.Apply(this);
}
