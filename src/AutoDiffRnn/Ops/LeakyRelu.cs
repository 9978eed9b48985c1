using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// leaky_relu: x where x &gt; 0, else s x for the negative slope s. VJP: g where x &gt; 0, else s g (s at x = 0, as PyTorch).
/// The slope mask is a constant, so double backward gives zero through it.
/// </summary>
[Operation(Name)]
internal static class LeakyReluOp
{
    public static Tensor Apply(Tensor x, double negativeSlope)
    {
        if (!double.IsFinite(negativeSlope))
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), $"{Name}: the negative slope must be finite, got {negativeSlope}");
        var output = Tensor.Uninitialized(x.Shape, x.DType); // written whole by the first product
        if (x.DType == DType.Float32) Forward(x.Span<float>(), (float)negativeSlope, output.Span<float>());
        else Forward(x.Span<double>(), negativeSlope, output.Span<double>());
        return Tape.Record(Name, output, [x], g => [g * (x.Greater(0.0) * (1 - negativeSlope) + negativeSlope)], attributes: negativeSlope);
    }

    /// <summary>
    /// s x is on the right side of x exactly where x &lt; 0: for s ≤ 1 the result is max(x, s x), for s &gt; 1 it is min(x, s x).
    /// </summary>
    private static void Forward<T>(ReadOnlySpan<T> x, T slope, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(x, slope, destination);
        if (slope <= T.One) TensorPrimitives.Max(x, destination, destination);
        else TensorPrimitives.Min(x, destination, destination);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "leaky_relu";
}

public sealed partial class Tensor
{
    /// <summary>Element-wise leaky ReLU: x for x &gt; 0, <paramref name="negativeSlope"/> · x otherwise.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) => LeakyReluOp.Apply(this, negativeSlope);
}
