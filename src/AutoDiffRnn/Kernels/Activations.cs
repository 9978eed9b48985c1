using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// Activation kernels accurate to the last digits, for the element-wise ops and the fused recurrent ops: span kernels, and the
/// in-register forms (<see cref="SigmoidVector{T}"/>, <see cref="TanhVector{T}"/>) the fused recurrent kernels call inside their
/// one loop over the hidden units.
/// </summary>
/// <remarks>
/// The vector forms are TensorPrimitives' own formulas (in double on <see cref="Vector.Exp(Vector{double})"/>, bit for bit the results of
/// <see cref="TensorPrimitives.Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/> and <see cref="TensorPrimitives.Tanh{T}(ReadOnlySpan{T}, Span{T})"/>;
/// in float on an exp in float lanes, within an ulp or two of them), tanh with the small-argument series below; their polynomials run on
/// hardware multiply-adds where there are. The scalar forms, for the tails shorter than a vector, use the runtime's scalar functions.
/// </remarks>
internal static class Activations
{
    // Taylor coefficients of tanh x = Σ c_n x^(2n-1), c_n = 2^(2n) (2^(2n) - 1) B_(2n) / (2n)!, for x^1 ... x^25.
    private const double Tanh1 = 1.0, Tanh3 = -1.0 / 3, Tanh5 = 2.0 / 15, Tanh7 = -17.0 / 315, Tanh9 = 62.0 / 2835,
        Tanh11 = -1382.0 / 155925, Tanh13 = 21844.0 / 6081075, Tanh15 = -929569.0 / 638512875, Tanh17 = 6404582.0 / 10854718875,
        Tanh19 = -443861162.0 / 1856156927625, Tanh21 = 18888466084.0 / 194896477400625, Tanh23 = -113927491862.0 / 2900518163668125,
        Tanh25 = 58870668456604.0 / 3698160658676859375;

    private static readonly double[] TanhCoefficients =
        [Tanh1, Tanh3, Tanh5, Tanh7, Tanh9, Tanh11, Tanh13, Tanh15, Tanh17, Tanh19, Tanh21, Tanh23, Tanh25];

    /// <summary>
    /// y = tanh(x), in one pass (<paramref name="x"/> and <paramref name="y"/> may be the same span). TensorPrimitives.Tanh goes
    /// through exp and loses relative accuracy near zero (float tanh(1e-9) comes out about 6e-8; double tanh(1e-7) has a relative
    /// error near 5e-10), so below a threshold (0.3 for double, 0.5 for float) the odd Taylor polynomial (to x^25) is used instead
    /// (truncation errors under 1e-18 and 1e-12 relative): see <see cref="TanhVector{T}"/>.
    /// </summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length < x.Length) throw new ArgumentException("tanh: the destination is shorter than the source", nameof(y));
        if (x.Overlaps(y, out int offset) && offset != 0)
        {
            // a shifted overlap would overwrite inputs before they are read
            var copy = ArrayPool<T>.Shared.Rent(x.Length);
            try
            {
                x.CopyTo(copy);
                Tanh<T>(copy.AsSpan(0, x.Length), y);
            }
            finally { ArrayPool<T>.Shared.Return(copy); }
            return;
        }
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                TanhVector(new Vector<T>(x[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] = Tanh(x[i]);
    }

    /// <summary>
    /// tanh of each lane: −z / (z + 2) with z = exp(−2|x|) − 1 and the sign of x (TensorPrimitives' formula), and where |x| is
    /// below the threshold (0.3 for double, 0.5 for float) the odd Taylor polynomial, evaluated only when some lane needs it. Never
    /// inlined (see <see cref="SigmoidVector{T}"/>).
    /// </summary>
    /// <remarks>
    /// When every lane is below the threshold the exp form is not computed (it would be discarded). The series is unrolled with its
    /// coefficients as constants (<see cref="TanhSeriesVector{T}"/>): the same multiply-adds in the same order as a loop over
    /// <see cref="TanhSeries{T}.Coefficients"/>, a third of the instructions.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Vector<T> TanhVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var magnitude = Vector.Abs(x);
        var small = Vector.LessThan(magnitude, new Vector<T>(TanhSeries<T>.Threshold));
        if (Vector.EqualsAll(small, Vector<T>.AllBitsSet)) return x * TanhSeriesVector(x * x);
        var z = Exp(new Vector<T>(-T.One - T.One) * magnitude) - Vector<T>.One;
        var result = Vector.CopySign(-z / (z + new Vector<T>(T.One + T.One)), x);
        if (small == Vector<T>.Zero) return result;
        return Vector.ConditionalSelect(small, x * TanhSeriesVector(x * x), result);
    }

    /// <summary>
    /// Σ c_n s^(n−1) for n = 1 … 13 (s = x², the odd Taylor series of tanh divided by x) by Horner's rule on multiply-adds, from the last
    /// coefficient down, each coefficient rounded to <typeparamref name="T"/> as <see cref="TanhSeries{T}.Coefficients"/> holds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<T> TanhSeriesVector<T>(Vector<T> square) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var s = square.As<T, float>();
            var p = new Vector<float>((float)Tanh25);
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh23));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh21));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh19));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh17));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh15));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh13));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh11));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh9));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh7));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh5));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh3));
            p = MultiplyAdd(p, s, new Vector<float>((float)Tanh1));
            return p.As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            var s = square.As<T, double>();
            var p = new Vector<double>(Tanh25);
            p = MultiplyAdd(p, s, new Vector<double>(Tanh23));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh21));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh19));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh17));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh15));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh13));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh11));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh9));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh7));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh5));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh3));
            p = MultiplyAdd(p, s, new Vector<double>(Tanh1));
            return p.As<double, T>();
        }
        ReadOnlySpan<T> coefficients = TanhSeries<T>.Coefficients;
        var polynomial = new Vector<T>(coefficients[^1]);
        for (int k = coefficients.Length - 2; k >= 0; k--)
            polynomial = MultiplyAdd(polynomial, square, new Vector<T>(coefficients[k]));
        return polynomial;
    }

    /// <summary>tanh of one value (the tails of the vector loops): the series below the threshold, else the runtime's tanh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (T.Abs(x) >= TanhSeries<T>.Threshold) return T.Tanh(x);
        ReadOnlySpan<T> coefficients = TanhSeries<T>.Coefficients;
        T square = x * x, polynomial = coefficients[^1];
        for (int k = coefficients.Length - 2; k >= 0; k--)
            polynomial = polynomial * square + coefficients[k];
        return x * polynomial;
    }

    /// <summary>
    /// σ(x) = 1 / (1 + exp(−x)) of each lane (TensorPrimitives' formula, saturating to 0 and 1 without NaN). Never inlined, as
    /// <see cref="TanhVector{T}"/>: compiled on its own each is one straight run of vector instructions with its exp inlined, but inlined
    /// into a cell's step kernel (five activations, each with an exp) they used up the JIT's inlining budget of the kernel's loop, which
    /// then called even its loads, stores and vector operators out of line (seen in the Tier-1 code with DOTNET_JitDisasm). A call per
    /// activation costs a few cycles.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Vector<T> SigmoidVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector<T>.One / (Vector<T>.One + Exp(-x));

    /// <summary>σ(x) of one value (the tails of the vector loops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary>
    /// exp of each lane, as the activations need it: double through <see cref="Vector.Exp(Vector{double})"/> (the kernel
    /// TensorPrimitives.Exp uses); float through <see cref="ExpSingle"/>, in float lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Exp<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return Vector.Exp(x.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float)) return ExpSingle(x.As<T, float>()).As<float, T>();
        throw new NotSupportedException($"exp: no vector kernel for {typeof(T).Name}");
    }

    /// <summary>
    /// exp in float lanes (the runtime's float exp widens to double, twice the work): x = k ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite,
    /// ln 2 in two parts so k ln2_hi is exact), e^r by Cephes' expf polynomial, scaled by 2^k through the exponent bits; about 1 ulp.
    /// Below ln FLT_MIN the result is 0 (no subnormals), above ln FLT_MAX ∞; between 88.3 and ln FLT_MAX it saturates at about 2.4e38
    /// (σ and tanh, the callers, round to the same limits either way); NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpSingle(Vector<float> x)
    {
        // the processor's min and max (NaN lanes come out finite here and are put back at the end; the bounds are not zeros)
        var clamped = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(-87.33654f)), new Vector<float>(88.3f));
        // k = round(x log2 e), by the 1.5·2^23 shifter: its low mantissa bits are k
        var shifted = clamped * new Vector<float>(1.44269504088896341f) + new Vector<float>(12582912f);
        var k = shifted - new Vector<float>(12582912f);
        var r = clamped - k * new Vector<float>(0.693145751953125f) - k * new Vector<float>(1.428606765330187e-6f);
        var polynomial = new Vector<float>(1.9875691500e-4f);
        polynomial = MultiplyAdd(polynomial, r, new Vector<float>(1.3981999507e-3f));
        polynomial = MultiplyAdd(polynomial, r, new Vector<float>(8.3334519073e-3f));
        polynomial = MultiplyAdd(polynomial, r, new Vector<float>(4.1665795894e-2f));
        polynomial = MultiplyAdd(polynomial, r, new Vector<float>(1.6666665459e-1f));
        polynomial = MultiplyAdd(polynomial, r, new Vector<float>(5.0000001201e-1f));
        var expR = MultiplyAdd(polynomial, r * r, r) + Vector<float>.One;
        var scale = Vector.ShiftLeft(shifted.As<float, int>() - new Vector<int>(0x4B400000 - 127), 23).As<int, float>();
        var result = expR * scale;
        // the true limits past the clamp (0 and ∞), and NaN through
        result = Vector.ConditionalSelect(Vector.LessThan(x, new Vector<float>(-87.33654f)), Vector<float>.Zero, result);
        result = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>(88.72284f)), new Vector<float>(float.PositiveInfinity), result);
        return Vector.ConditionalSelect(Vector.Equals(x, x), result, x);
    }

    /// <summary>a b + addend: a hardware multiply-add (one rounding) where the machine has one, else a multiply and an add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<T> MultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> addend) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fma.IsSupported || AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float))
                return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), addend.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double))
                return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), addend.As<T, double>()).As<double, T>();
        }
        return a * b + addend;
    }

    /// <summary>The Taylor coefficients of tanh in <typeparamref name="T"/>, converted once, and the threshold below which they apply.</summary>
    internal static class TanhSeries<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        // All terms for float too: 9 terms (to x^17) would be accurate to 1e-9 relative, but the float results would move in their
        // last bit, and that alone tipped `train classify` seeds 1 and 4 into an Adam loss spike at step 500-600 (the task's fragility)
        public static readonly T[] Coefficients = TanhCoefficients.Select(T.CreateTruncating).ToArray();
        public static readonly T Threshold = T.CreateTruncating(typeof(T) == typeof(double) ? 0.3 : 0.5);
    }

}
