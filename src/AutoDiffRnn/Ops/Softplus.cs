using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// softplus: (1/β) ln(1 + e^(βx)), and x itself where βx &gt; threshold (PyTorch's semantics).
/// Computed as (max(βx, 0) + ln(1 + e^(-|βx|))) / β, which neither overflows for large βx nor loses the tiny
/// positive values for very negative βx. VJP: g σ(βx), and g where βx &gt; threshold.
/// </summary>
[Operation("softplus")]
internal static class SoftplusOp
{
    public static Tensor Apply(Tensor x, double beta, double threshold)
    {
        if (!double.IsFinite(beta) || beta == 0)
            throw new ArgumentOutOfRangeException(nameof(beta), $"softplus: beta must be finite and nonzero, got {beta}");
        if (double.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), "softplus: the threshold must not be NaN");
        var output = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Forward(x.Span<float>(), (float)beta, (float)threshold, output.Span<float>());
        else Forward(x.Span<double>(), beta, threshold, output.Span<double>());
        return Tape.Record("softplus", output, [x], g =>
        {
            var scaled = x * beta;
            var slope = Tensor.Where(scaled.Greater(threshold), Tensor.Scalar(1.0, x.DType), scaled.Sigmoid());
            return [g * slope];
        });
    }

    private static void Forward<T>(ReadOnlySpan<T> x, T beta, T threshold, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scaled = destination;
        TensorPrimitives.Multiply(x, beta, scaled);
        var correction = new T[x.Length].AsSpan();
        TensorPrimitives.Abs(scaled, correction);
        TensorPrimitives.Negate(correction, correction);
        TensorPrimitives.Exp(correction, correction);
        TensorPrimitives.LogP1(correction, correction);      // ln(1 + e^(-|βx|)), in (0, ln 2]
        for (int i = 0; i < x.Length; i++)
        {
            T z = scaled[i];
            destination[i] = z > threshold ? x[i] : (T.Max(z, T.Zero) + correction[i]) / beta;
        }
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Element-wise softplus (1/<paramref name="beta"/>) ln(1 + e^(βx)), a smooth ReLU; where βx exceeds
    /// <paramref name="threshold"/> it returns x (as PyTorch). Numerically stable for any x.
    /// </summary>
    public Tensor Softplus(double beta = 1, double threshold = 20) => SoftplusOp.Apply(this, beta, threshold);
}
