using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AutoDiffRnn;

/// <summary>
/// Vectorized max pooling of one output row, over the width, for windows that lie inside the input: the 2×2 stride-2 window (the
/// notes' pooling) and any window with stride 1 along the width. Both keep PyTorch's tie rule — the first maximum in the window's
/// row-major scan wins, a later equal value does not replace it — by scanning the taps in that order with a strict comparison.
/// A vector of outputs with a NaN among its inputs is left to the scalar scan (NaN wins there). Each writes the outputs and their
/// winning taps (i·kW + j) and returns how many outputs of the row it wrote, from the left; the caller finishes the rest.
/// </summary>
internal static class MaxPoolRows
{
    /// <summary>Whether 256-bit vectors are accelerated here (otherwise the scalar scan does everything).</summary>
    public static bool Accelerated => Vector256.IsHardwareAccelerated;

    /// <summary>
    /// 2×2 windows with stride 2 over rows <paramref name="top"/> and <paramref name="bottom"/> (each at least 2·outWidth long):
    /// y[j] = the first maximum of (top[2j], top[2j+1], bottom[2j], bottom[2j+1]); taps[j] = its tap: 0, 1 (top row), 2, 3 (bottom row).
    /// </summary>
    public static int Window2x2<T>(ReadOnlySpan<T> top, ReadOnlySpan<T> bottom, Span<T> y, Span<T> taps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Accelerated) return 0;
        int lanes = Vector256<T>.Count, outWidth = y.Length, j = 0;
        ref T topRef = ref MemoryMarshal.GetReference(top), bottomRef = ref MemoryMarshal.GetReference(bottom);
        var one = Vector256.Create(T.One);
        var two = Vector256.Create(T.One + T.One);
        for (; j + lanes <= outWidth; j += lanes)
        {
            var (a, b) = Deinterleave(Vector256.LoadUnsafe(ref topRef, (nuint)(2 * j)), Vector256.LoadUnsafe(ref topRef, (nuint)(2 * j + lanes)));
            var (c, d) = Deinterleave(Vector256.LoadUnsafe(ref bottomRef, (nuint)(2 * j)), Vector256.LoadUnsafe(ref bottomRef, (nuint)(2 * j + lanes)));
            if (!AllSet(Vector256.Equals(a, a) & Vector256.Equals(b, b) & Vector256.Equals(c, c) & Vector256.Equals(d, d))) break;
            // the scan a, b, c, d with strict ">" equals: first maximum of each row, then the bottom's only if strictly larger
            var rightOnTop = Vector256.GreaterThan(b, a);
            var upper = Vector256.ConditionalSelect(rightOnTop, b, a);
            var rightBelow = Vector256.GreaterThan(d, c);
            var lower = Vector256.ConditionalSelect(rightBelow, d, c);
            var below = Vector256.GreaterThan(lower, upper);
            Vector256.ConditionalSelect(below, lower, upper).StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)j);
            Vector256.ConditionalSelect(below, two + (rightBelow & one), rightOnTop & one).StoreUnsafe(ref MemoryMarshal.GetReference(taps), (nuint)j);
        }
        return j;
    }

    /// <summary>
    /// Windows with stride 1 along the width: output j's window starts at column j of <paramref name="rows"/> (the plane from the
    /// window's top row on) and has the tap offsets <paramref name="offsets"/> (row-major, relative to its corner). y[j] = the first
    /// maximum; taps[j] = its tap number.
    /// </summary>
    public static int StrideOne<T>(ReadOnlySpan<T> rows, ReadOnlySpan<int> offsets, Span<T> y, Span<T> taps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Accelerated) return 0;
        int lanes = Vector256<T>.Count, outWidth = y.Length, j = 0;
        ref T source = ref MemoryMarshal.GetReference(rows);
        for (; j + lanes <= outWidth; j += lanes)
        {
            var best = Vector256.LoadUnsafe(ref source, (nuint)(j + offsets[0]));
            var winner = Vector256<T>.Zero;                         // the winning tap's number, exact in T for any real kernel
            var ordered = Vector256.Equals(best, best);                // all lanes set while no input is NaN
            for (int t = 1; t < offsets.Length; t++)
            {
                var value = Vector256.LoadUnsafe(ref source, (nuint)(j + offsets[t]));
                ordered &= Vector256.Equals(value, value);
                var larger = Vector256.GreaterThan(value, best);
                best = Vector256.ConditionalSelect(larger, value, best);
                winner = Vector256.ConditionalSelect(larger, Vector256.Create(T.CreateTruncating(t)), winner);
            }
            if (!AllSet(ordered)) break;
            best.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)j);
            winner.StoreUnsafe(ref MemoryMarshal.GetReference(taps), (nuint)j);
        }
        return j;
    }

    /// <summary>
    /// Whether every lane of the comparison mask <paramref name="mask"/> is set. (Not <c>mask == AllBitsSet</c>: for float lanes that
    /// compares NaN bit patterns as floats, which is never true, and sent every row to the scalar scan.)
    /// </summary>
    private static bool AllSet<T>(Vector256<T> mask) where T : unmanaged =>
        mask.ExtractMostSignificantBits() == (1u << Vector256<T>.Count) - 1;

    /// <summary>The even and the odd elements of the 2·lanes elements (low, high).</summary>
    private static (Vector256<T> Even, Vector256<T> Odd) Deinterleave<T>(Vector256<T> low, Vector256<T> high) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var indices = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            var l = Vector256.Shuffle(low.AsSingle(), indices);
            var h = Vector256.Shuffle(high.AsSingle(), indices);
            return (Vector256.Create(l.GetLower(), h.GetLower()).As<float, T>(), Vector256.Create(l.GetUpper(), h.GetUpper()).As<float, T>());
        }
        else
        {
            var indices = Vector256.Create(0L, 2, 1, 3);
            var l = Vector256.Shuffle(low.AsDouble(), indices);
            var h = Vector256.Shuffle(high.AsDouble(), indices);
            return (Vector256.Create(l.GetLower(), h.GetLower()).As<double, T>(), Vector256.Create(l.GetUpper(), h.GetUpper()).As<double, T>());
        }
    }
}
