using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// Activation kernels accurate to the last digits, for the element-wise ops and the fused recurrent ops.
/// </summary>
internal static class Activations
{
    // Taylor coefficients of tanh x = Σ c_n x^(2n-1), c_n = 2^(2n) (2^(2n) - 1) B_(2n) / (2n)!, for x^1 ... x^25.
    private static readonly double[] TanhCoefficients =
    [
        1.0, -1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835, -1382.0 / 155925, 21844.0 / 6081075, -929569.0 / 638512875,
        6404582.0 / 10854718875, -443861162.0 / 1856156927625, 18888466084.0 / 194896477400625,
        -113927491862.0 / 2900518163668125, 58870668456604.0 / 3698160658676859375,
    ];

    /// <summary>
    /// y = tanh(x). TensorPrimitives.Tanh goes through exp and loses relative accuracy near zero (float tanh(1e-9) comes out
    /// about 6e-8; double tanh(1e-7) has a relative error near 5e-10), so below a threshold (0.3 for double, 0.5 for float, where
    /// the truncation error of the series is under 1e-18 and 1e-12 relative) the result is replaced by the odd Taylor polynomial.
    /// </summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Overlaps(y))
        {
            var copy = ArrayPool<T>.Shared.Rent(x.Length);
            try
            {
                x.CopyTo(copy);
                Tanh<T>(copy.AsSpan(0, x.Length), y);
            }
            finally { ArrayPool<T>.Shared.Return(copy); }
            return;
        }
        TensorPrimitives.Tanh(x, y);
        T threshold = T.CreateTruncating(typeof(T) == typeof(double) ? 0.3 : 0.5);
        ReadOnlySpan<T> coefficients = TanhSeries<T>.Coefficients;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var limit = new Vector<T>(threshold);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var value = new Vector<T>(x[i..]);
                var small = Vector.LessThan(Vector.Abs(value), limit);
                if (small == Vector<T>.Zero) continue;
                var square = value * value;
                var polynomial = new Vector<T>(coefficients[^1]);
                for (int k = coefficients.Length - 2; k >= 0; k--)
                    polynomial = polynomial * square + new Vector<T>(coefficients[k]);
                Vector.ConditionalSelect(small, value * polynomial, new Vector<T>(y[i..])).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            T value = x[i];
            if (T.Abs(value) >= threshold) continue;
            T square = value * value, polynomial = coefficients[^1];
            for (int k = coefficients.Length - 2; k >= 0; k--)
                polynomial = polynomial * square + coefficients[k];
            y[i] = value * polynomial;
        }
    }

    /// <summary>The Taylor coefficients of tanh in <typeparamref name="T"/>, converted once.</summary>
    private static class TanhSeries<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly T[] Coefficients = TanhCoefficients.Select(T.CreateTruncating).ToArray();
    }

    /// <summary>destination = upstream · s (1 − s), with s = σ(x) already computed: the sigmoid's vector-Jacobian product.</summary>
    public static void SigmoidGradient<T>(ReadOnlySpan<T> activated, ReadOnlySpan<T> upstream, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i <= activated.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var s = new Vector<T>(activated[i..]);
                var product = new Vector<T>(upstream[i..]) * s;
                (product - product * s).CopyTo(destination[i..]);
            }
        }
        for (; i < activated.Length; i++)
        {
            T product = upstream[i] * activated[i];
            destination[i] = product - product * activated[i];
        }
    }
}
