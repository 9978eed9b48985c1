using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// A recurrent step's gate pre-activations for four gates computed transposed — W [h; x] + b, gates × sequences — with the weights as
/// the streamed operand: made for recurrent inference, where the weights (4H × (H + I)) are far larger than the step's state and input
/// (H + I) × B and, even split over the cores, need not fit a core's L2. The rows of W_hh and W_ih of one hidden unit in its four gates
/// (i, f, g, o of an LSTM unit) are packed side by side as one gate panel, depth-major: element (p, g) at 4p + g, the depth running over
/// h (H) then x (I). The state and the input are kept transposed (hᵀ: H × B, xᵀ: I × B, rows padded to <see cref="BatchTile{T}"/>).
/// Per unit and tile of <see cref="BatchTile{T}"/> sequences, the micro-kernel (<see cref="Multiply{T}"/>) holds the 4 × 2 vectors of
/// gate sums in registers, broadcasting each weight once from the panel and multiplying it into two vectors of a transposed row: the
/// weights are read in one sequential stream (easy for the prefetcher from whatever cache level they come), the state and input tiles
/// stay in L1, and a unit's four gates land side by side, ready for the cell's gate math.
/// </summary>
internal static unsafe class GemmGatePanels
{
    /// <summary>Gates per panel.</summary>
    public const int Gates = 4;

    /// <summary>Sequences per micro-kernel call: two vectors.</summary>
    public static int BatchTile<T>() where T : unmanaged => 2 * Vector<T>.Count;

    /// <summary>
    /// Packs the gate panels of units [<paramref name="firstUnit"/>, <paramref name="firstUnit"/> + <paramref name="units"/>) of
    /// W_hh (4H × H) and W_ih (4H × I), both row-major in gate blocks of H rows, into <paramref name="panels"/>: unit u's panel at
    /// u·4·(H + I), element (p, g) at 4p + g, W_hh[gH + unit, p] for p &lt; H, then W_ih[gH + unit, p − H].
    /// </summary>
    public static void Pack<T>(ReadOnlySpan<T> weightHh, ReadOnlySpan<T> weightIh, int hidden, int inputSize, int firstUnit, int units,
        Span<T> panels) where T : unmanaged
    {
        int depth = hidden + inputSize;
        if (hidden < 1 || inputSize < 0 || firstUnit < 0 || units < 0 || firstUnit + units > hidden)
            throw new ArgumentOutOfRangeException(nameof(hidden), $"gate panels: bad sizes hidden={hidden}, input={inputSize}, units [{firstUnit}, +{units})");
        if (weightHh.Length < (long)Gates * hidden * hidden || weightIh.Length < (long)Gates * hidden * inputSize
            || panels.Length < (long)units * Gates * depth)
            throw new ArgumentException($"gate panels: W_hh ({weightHh.Length}), W_ih ({weightIh.Length}) or panels ({panels.Length}) too short " +
                                        $"for {Gates} gates of {hidden} units, input {inputSize}, {units} units packed");
        for (int u = 0; u < units; u++)
        {
            var panel = panels.Slice(u * Gates * depth, Gates * depth);
            for (int g = 0; g < Gates; g++)
            {
                int row = g * hidden + firstUnit + u;
                var fromHidden = weightHh.Slice(row * hidden, hidden);
                for (int p = 0; p < hidden; p++) panel[p * Gates + g] = fromHidden[p];
                var fromInput = weightIh.Slice(row * inputSize, inputSize);
                for (int p = 0; p < inputSize; p++) panel[(hidden + p) * Gates + g] = fromInput[p];
            }
        }
    }

    /// <summary>
    /// sums (4 gates × 2 vectors, gate g's <see cref="BatchTile{T}"/> values at g·<see cref="BatchTile{T}"/>) = bias (when given: the
    /// unit's four biases, broadcast) + the panel times the tiles of hᵀ then xᵀ: sums[g, b] = bias[g] + Σ_{p &lt; H} panel[p, g] · hᵀ[p, b]
    /// + Σ_{p &lt; I} panel[H + p, g] · xᵀ[p, b], accumulated in that order. Rows of a tile are <paramref name="stride"/> apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(T* panel, T* hidden, int hiddenDepth, T* input, int inputDepth, nint stride, T* bias, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        Vector<T> s00, s01, s10, s11, s20, s21, s30, s31;
        if (bias != null)
        {
            s00 = s01 = new Vector<T>(bias[0]);
            s10 = s11 = new Vector<T>(bias[1]);
            s20 = s21 = new Vector<T>(bias[2]);
            s30 = s31 = new Vector<T>(bias[3]);
        }
        else s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = Vector<T>.Zero;
        T* row = hidden;
        int depth = hiddenDepth;
        for (int segment = 0; segment < 2; segment++)
        {
            for (int p = 0; p < depth; p++)
            {
                var h0 = Vector.Load(row);
                var h1 = Vector.Load(row + width);
                var w = new Vector<T>(panel[0]); s00 = Fma(w, h0, s00); s01 = Fma(w, h1, s01);
                w = new Vector<T>(panel[1]); s10 = Fma(w, h0, s10); s11 = Fma(w, h1, s11);
                w = new Vector<T>(panel[2]); s20 = Fma(w, h0, s20); s21 = Fma(w, h1, s21);
                w = new Vector<T>(panel[3]); s30 = Fma(w, h0, s30); s31 = Fma(w, h1, s31);
                panel += Gates;
                row += stride;
            }
            row = input;
            depth = inputDepth;
        }
        s00.Store(sums); s01.Store(sums + width);
        s10.Store(sums + 2 * width); s11.Store(sums + 3 * width);
        s20.Store(sums + 4 * width); s21.Store(sums + 5 * width);
        s30.Store(sums + 6 * width); s31.Store(sums + 7 * width);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> addend) where T : unmanaged, IFloatingPointIeee754<T> =>
        Activations.MultiplyAdd(a, b, addend);
}
