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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ActivationGradient<T, TanhDerivative>(activated, upstream, destination, accumulate);

    /// <summary>
    /// destination (+)= upstream · s (1 − s), with s = σ(x) already computed (as <see cref="Kernels.Lanes.SigmoidGradient{TLanes, T}"/>
    /// computes it): the sigmoid's vector-Jacobian product, added into <paramref name="destination"/> when <paramref name="accumulate"/>.
    /// </summary>
    public static void SigmoidGradient<T>(ReadOnlySpan<T> activated, ReadOnlySpan<T> upstream, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ActivationGradient<T, SigmoidDerivative>(activated, upstream, destination, accumulate);

    /// <summary>
    /// destination (+)= the activation's vector-Jacobian product from its output y and the upstream gradient, one vectorized pass (the
    /// activation gives the product, in its own order of operations, for a vector and for one element).
    /// </summary>
    private static void ActivationGradient<T, TDerivative>(ReadOnlySpan<T> activated, ReadOnlySpan<T> upstream, Span<T> destination, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TDerivative : IActivationDerivative
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= activated.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var gradient = TDerivative.Of(new Vector<T>(upstream[i..]), new Vector<T>(activated[i..]));
                (accumulate ? new Vector<T>(destination[i..]) + gradient : gradient).CopyTo(destination[i..]);
            }
        for (; i < activated.Length; i++)
        {
            T gradient = TDerivative.Of(upstream[i], activated[i]);
            destination[i] = accumulate ? destination[i] + gradient : gradient;
        }
    }

    /// <summary>An activation's vector-Jacobian product g · f′ written from its output y, for a vector and for one element.</summary>
    private interface IActivationDerivative
    {
        static abstract Vector<T> Of<T>(Vector<T> upstream, Vector<T> activated) where T : unmanaged, IFloatingPointIeee754<T>;

        static abstract T Of<T>(T upstream, T activated) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    /// <summary>tanh: g (1 − y y).</summary>
    private readonly struct TanhDerivative : IActivationDerivative
    {
        public static Vector<T> Of<T>(Vector<T> upstream, Vector<T> activated) where T : unmanaged, IFloatingPointIeee754<T> =>
            upstream * (Vector<T>.One - activated * activated);

        public static T Of<T>(T upstream, T activated) where T : unmanaged, IFloatingPointIeee754<T> =>
            upstream * (T.One - activated * activated);
    }

    /// <summary>sigmoid: p − p s with p = g s.</summary>
    private readonly struct SigmoidDerivative : IActivationDerivative
    {
        public static Vector<T> Of<T>(Vector<T> upstream, Vector<T> activated) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var product = upstream * activated;
            return product - product * activated;
        }

        public static T Of<T>(T upstream, T activated) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T product = upstream * activated;
            return product - product * activated;
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
