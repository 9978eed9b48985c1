using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Compile;

/// <summary>
/// The derivative kernels of a fused region's backward that are more than one span primitive: one vectorized pass over a row that
/// computes an activation's derivative and adds it into the operand's gradient, or the row reduction of a normalisation.
/// </summary>
internal static class FusedDerivatives
{
    /// <summary>
    /// destination (+)= upstream · (1 − y²), with y = tanh(x) already computed: the tanh's vector-Jacobian product, added into
    /// <paramref name="destination"/> when <paramref name="accumulate"/>.
    /// </summary>
    public static void TanhGradient<T>(ReadOnlySpan<T> activated, ReadOnlySpan<T> upstream, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= activated.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var y = new Vector<T>(activated[i..]);
                var gradient = new Vector<T>(upstream[i..]) * (Vector<T>.One - y * y);
                (accumulate ? new Vector<T>(destination[i..]) + gradient : gradient).CopyTo(destination[i..]);
            }
        for (; i < activated.Length; i++)
        {
            T gradient = upstream[i] * (T.One - activated[i] * activated[i]);
            destination[i] = accumulate ? destination[i] + gradient : gradient;
        }
    }

    /// <summary>
    /// destination (+)= upstream · s (1 − s), with s = σ(x) already computed (as <see cref="Kernels.Lanes.SigmoidGradient{TLanes, T}"/>
    /// computes it): the sigmoid's vector-Jacobian product, added into <paramref name="destination"/> when <paramref name="accumulate"/>.
    /// </summary>
    public static void SigmoidGradient<T>(ReadOnlySpan<T> activated, ReadOnlySpan<T> upstream, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= activated.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var s = new Vector<T>(activated[i..]);
                var product = new Vector<T>(upstream[i..]) * s;
                var gradient = product - product * s;
                (accumulate ? new Vector<T>(destination[i..]) + gradient : gradient).CopyTo(destination[i..]);
            }
        for (; i < activated.Length; i++)
        {
            T product = upstream[i] * activated[i];
            T gradient = product - product * activated[i];
            destination[i] = accumulate ? destination[i] + gradient : gradient;
        }
    }

    /// <summary>
    /// The row standardised: (a − mean) / √(var + ε) with the biased variance, into <paramref name="destination"/>, in the order of
    /// operations of the eager layer_norm (so float64 values agree to the last bit); returns 1/√(var + ε).
    /// </summary>
    public static T Normalize<T>(ReadOnlySpan<T> a, Span<T> destination, T epsilon) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(a.Length);
        T mean = TensorPrimitives.Sum(a) / count;
        TensorPrimitives.Subtract(a, mean, destination);
        T variance = TensorPrimitives.SumOfSquares(destination) / count;
        T reciprocal = T.One / T.Sqrt(variance + epsilon);
        TensorPrimitives.Multiply(destination, reciprocal, destination);
        return reciprocal;
    }

    /// <summary>
    /// The normalisation's vector-Jacobian product: dx = r (g − mean(g) − y mean(g y)), with y the standardised row and r = 1/√(var + ε)
    /// (recomputed from the row <paramref name="a"/>, using <paramref name="work"/> as scratch).
    /// </summary>
    public static void NormalizeGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> normalized, ReadOnlySpan<T> upstream, T epsilon, Span<T> work,
        Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T reciprocal = Normalize(a, work, epsilon);
        T count = T.CreateChecked(a.Length);
        T meanGradient = TensorPrimitives.Sum(upstream) / count;
        T meanProduct = TensorPrimitives.Dot(upstream, normalized) / count;
        TensorPrimitives.MultiplyAdd(normalized, -meanProduct, upstream, destination);
        TensorPrimitives.Subtract(destination, meanGradient, destination);
        TensorPrimitives.Multiply(destination, reciprocal, destination);
    }
}
