using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// The element-wise part of one LSTM step for one sequence, as a single vectorized loop over the hidden units (gate order i, f, g, o):
/// at batch 1 a step is only a few hundred values, so one pass in registers instead of a dozen span calls is what keeps the per-step
/// cost down. Used by the fused <c>lstm_sequence</c> op; the arithmetic is that of the composed path, operation for operation.
/// </summary>
internal static class LstmKernels
{
    /// <summary>
    /// Forward: activates the gates in place (<paramref name="gates"/>, 4H: pre-activations in, σ(i), σ(f), tanh(g), σ(o) out),
    /// computes c' = i g + f c and h' = o tanh(c'). When <paramref name="active"/>, the states become (h', c') and the output row
    /// (3H) gets h', h', c'; otherwise the states are kept and the output row gets 0, h, c. <paramref name="cellOut"/> and
    /// <paramref name="cellTanhOut"/> (H each, or empty to skip) receive c' and tanh(c') for the backward.
    /// </summary>
    public static void ForwardStep<T>(Span<T> gates, Span<T> hidden, Span<T> cell, Span<T> output, bool active, Span<T> cellOut, Span<T> cellTanhOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden.Length;
        if (gates.Length != 4 * h || cell.Length != h || output.Length != 3 * h)
            throw new ArgumentException("lstm step: the gates must be 4H, the cell state H and the output row 3H");
        bool keep = !cellOut.IsEmpty;
        if (keep && (cellOut.Length != h || cellTanhOut.Length != h))
            throw new ArgumentException("lstm step: the saved cell rows must be H");
        ref T g = ref MemoryMarshal.GetReference(gates);
        ref T hs = ref MemoryMarshal.GetReference(hidden);
        ref T cs = ref MemoryMarshal.GetReference(cell);
        ref T o = ref MemoryMarshal.GetReference(output);
        ref T co = ref MemoryMarshal.GetReference(cellOut);
        ref T to = ref MemoryMarshal.GetReference(cellTanhOut);
        nuint n = (nuint)h, j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; j + (nuint)Vector<T>.Count <= n; j += (nuint)Vector<T>.Count)
            {
                var input = Activations.SigmoidVector(Vector.LoadUnsafe(ref g, j));
                var forget = Activations.SigmoidVector(Vector.LoadUnsafe(ref g, n + j));
                var candidate = Activations.TanhVector(Vector.LoadUnsafe(ref g, 2 * n + j));
                var outputGate = Activations.SigmoidVector(Vector.LoadUnsafe(ref g, 3 * n + j));
                input.StoreUnsafe(ref g, j);
                forget.StoreUnsafe(ref g, n + j);
                candidate.StoreUnsafe(ref g, 2 * n + j);
                outputGate.StoreUnsafe(ref g, 3 * n + j);
                var previousHidden = Vector.LoadUnsafe(ref hs, j);
                var previousCell = Vector.LoadUnsafe(ref cs, j);
                var cellNew = input * candidate + forget * previousCell;
                var tanhCell = Activations.TanhVector(cellNew);
                var hiddenNew = outputGate * tanhCell;
                if (keep)
                {
                    cellNew.StoreUnsafe(ref co, j);
                    tanhCell.StoreUnsafe(ref to, j);
                }
                if (active)
                {
                    hiddenNew.StoreUnsafe(ref hs, j);
                    cellNew.StoreUnsafe(ref cs, j);
                    hiddenNew.StoreUnsafe(ref o, j);
                    hiddenNew.StoreUnsafe(ref o, n + j);
                    cellNew.StoreUnsafe(ref o, 2 * n + j);
                }
                else
                {
                    Vector<T>.Zero.StoreUnsafe(ref o, j);
                    previousHidden.StoreUnsafe(ref o, n + j);
                    previousCell.StoreUnsafe(ref o, 2 * n + j);
                }
            }
        }
        for (; j < n; j++)
        {
            T input = Activations.Sigmoid(Unsafe.Add(ref g, j)), forget = Activations.Sigmoid(Unsafe.Add(ref g, n + j));
            T candidate = Activations.Tanh(Unsafe.Add(ref g, 2 * n + j)), outputGate = Activations.Sigmoid(Unsafe.Add(ref g, 3 * n + j));
            Unsafe.Add(ref g, j) = input;
            Unsafe.Add(ref g, n + j) = forget;
            Unsafe.Add(ref g, 2 * n + j) = candidate;
            Unsafe.Add(ref g, 3 * n + j) = outputGate;
            T previousHidden = Unsafe.Add(ref hs, j), previousCell = Unsafe.Add(ref cs, j);
            T cellNew = input * candidate + forget * previousCell;
            T tanhCell = Activations.Tanh(cellNew);
            T hiddenNew = outputGate * tanhCell;
            if (keep)
            {
                Unsafe.Add(ref co, j) = cellNew;
                Unsafe.Add(ref to, j) = tanhCell;
            }
            if (active)
            {
                Unsafe.Add(ref hs, j) = hiddenNew;
                Unsafe.Add(ref cs, j) = cellNew;
                Unsafe.Add(ref o, j) = hiddenNew;
                Unsafe.Add(ref o, n + j) = hiddenNew;
                Unsafe.Add(ref o, 2 * n + j) = cellNew;
            }
            else
            {
                Unsafe.Add(ref o, j) = T.Zero;
                Unsafe.Add(ref o, n + j) = previousHidden;
                Unsafe.Add(ref o, 2 * n + j) = previousCell;
            }
        }
    }

    /// <summary>
    /// Forward of one step for a block of w hidden units of one sequence, without saving anything (inference): the gate pre-activations are
    /// the input projections <paramref name="projections"/> (the whole 4H row: i, f, g, o chunks of H, read at <paramref name="firstUnit"/>)
    /// plus the recurrent products <paramref name="recurrent"/> (4 chunks of w: i, f, g, o), summed as <see cref="ForwardStep{T}"/> sums
    /// them. <paramref name="previousHidden"/> is the state before the step and <paramref name="nextHidden"/> receives the state after it;
    /// <paramref name="cell"/> is updated in place; <paramref name="output"/> gets h'. When not <paramref name="active"/> the states are
    /// kept (h copied to <paramref name="nextHidden"/>) and the output is 0. All spans but the first two are w long.
    /// </summary>
    public static void ForwardUnits<T>(ReadOnlySpan<T> projections, ReadOnlySpan<T> recurrent, int firstUnit, ReadOnlySpan<T> previousHidden,
        Span<T> nextHidden, Span<T> cell, Span<T> output, bool active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = previousHidden.Length, h = projections.Length / 4;
        if (projections.Length != 4 * h || recurrent.Length != 4 * w || nextHidden.Length != w || cell.Length != w || output.Length != w
            || firstUnit < 0 || firstUnit + w > h)
            throw new ArgumentException($"lstm units: a block of {w} units at {firstUnit} needs a 4H projection row, 4w recurrent products " +
                                        $"and w-element states and output (got {projections.Length}, {recurrent.Length}, {output.Length})");
        if (!active)
        {
            previousHidden.CopyTo(nextHidden);
            output.Clear();
            return;
        }
        ref T x = ref Unsafe.Add(ref MemoryMarshal.GetReference(projections), firstUnit);
        ref T r = ref MemoryMarshal.GetReference(recurrent);
        ref T hn = ref MemoryMarshal.GetReference(nextHidden);
        ref T cs = ref MemoryMarshal.GetReference(cell);
        ref T o = ref MemoryMarshal.GetReference(output);
        nuint n = (nuint)h, width = (nuint)w, j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; j + (nuint)Vector<T>.Count <= width; j += (nuint)Vector<T>.Count)
            {
                var input = Activations.SigmoidVector(Vector.LoadUnsafe(ref x, j) + Vector.LoadUnsafe(ref r, j));
                var forget = Activations.SigmoidVector(Vector.LoadUnsafe(ref x, n + j) + Vector.LoadUnsafe(ref r, width + j));
                var candidate = Activations.TanhVector(Vector.LoadUnsafe(ref x, 2 * n + j) + Vector.LoadUnsafe(ref r, 2 * width + j));
                var outputGate = Activations.SigmoidVector(Vector.LoadUnsafe(ref x, 3 * n + j) + Vector.LoadUnsafe(ref r, 3 * width + j));
                var cellNew = input * candidate + forget * Vector.LoadUnsafe(ref cs, j);
                var hiddenNew = outputGate * Activations.TanhVector(cellNew);
                hiddenNew.StoreUnsafe(ref hn, j);
                cellNew.StoreUnsafe(ref cs, j);
                hiddenNew.StoreUnsafe(ref o, j);
            }
        }
        for (; j < width; j++)
        {
            T input = Activations.Sigmoid(Unsafe.Add(ref x, j) + Unsafe.Add(ref r, j));
            T forget = Activations.Sigmoid(Unsafe.Add(ref x, n + j) + Unsafe.Add(ref r, width + j));
            T candidate = Activations.Tanh(Unsafe.Add(ref x, 2 * n + j) + Unsafe.Add(ref r, 2 * width + j));
            T outputGate = Activations.Sigmoid(Unsafe.Add(ref x, 3 * n + j) + Unsafe.Add(ref r, 3 * width + j));
            T cellNew = input * candidate + forget * Unsafe.Add(ref cs, j);
            T hiddenNew = outputGate * Activations.Tanh(cellNew);
            Unsafe.Add(ref hn, j) = hiddenNew;
            Unsafe.Add(ref cs, j) = cellNew;
            Unsafe.Add(ref o, j) = hiddenNew;
        }
    }

    /// <summary>
    /// Backward of one step: with the activated <paramref name="gates"/> (4H), tanh(c') and c of the forward, the output gradient row
    /// (3H: d output, d hidden state, d cell state) and the gradients carried from later steps (H each, in: with respect to the states
    /// after this step; out: the cell gradient before this step, and the hidden gradient that passes around the recurrent product),
    /// writes the gate gradients before the activations (4H; zeros when not <paramref name="active"/>, where the states pass through).
    /// For an active step the caller adds dGates W_hh: <paramref name="carriedHidden"/> then holds what it replaces.
    /// </summary>
    public static void BackwardStep<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> cellTanh, ReadOnlySpan<T> previousCell, ReadOnlySpan<T> outputGradient,
        Span<T> carriedHidden, Span<T> carriedCell, Span<T> gateGradients, bool active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = carriedHidden.Length;
        if (gates.Length != 4 * h || cellTanh.Length != h || previousCell.Length != h || outputGradient.Length != 3 * h
            || carriedCell.Length != h || gateGradients.Length != 4 * h)
            throw new ArgumentException("lstm step backward: the gate rows must be 4H, the output gradient row 3H and the others H");
        ref T g = ref MemoryMarshal.GetReference(gates);
        ref T tc = ref MemoryMarshal.GetReference(cellTanh);
        ref T cp = ref MemoryMarshal.GetReference(previousCell);
        ref T dy = ref MemoryMarshal.GetReference(outputGradient);
        ref T dhc = ref MemoryMarshal.GetReference(carriedHidden);
        ref T dcc = ref MemoryMarshal.GetReference(carriedCell);
        ref T dg = ref MemoryMarshal.GetReference(gateGradients);
        nuint n = (nuint)h, j = 0;
        if (!active)
        {
            for (; j < n; j++)
            {
                Unsafe.Add(ref dhc, j) += Unsafe.Add(ref dy, n + j);
                Unsafe.Add(ref dcc, j) += Unsafe.Add(ref dy, 2 * n + j);
            }
            gateGradients.Clear();
            return;
        }
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; j + (nuint)Vector<T>.Count <= n; j += (nuint)Vector<T>.Count)
            {
                var hiddenState = Vector.LoadUnsafe(ref dhc, j) + Vector.LoadUnsafe(ref dy, n + j);   // dE/d(h state after the step)
                var cellState = Vector.LoadUnsafe(ref dcc, j) + Vector.LoadUnsafe(ref dy, 2 * n + j); // dE/d(c state after the step)
                var hiddenNew = hiddenState + Vector.LoadUnsafe(ref dy, j);                           // + dE/d output
                var input = Vector.LoadUnsafe(ref g, j);
                var forget = Vector.LoadUnsafe(ref g, n + j);
                var candidate = Vector.LoadUnsafe(ref g, 2 * n + j);
                var outputGate = Vector.LoadUnsafe(ref g, 3 * n + j);
                var tanhCell = Vector.LoadUnsafe(ref tc, j);
                // dc' = dc state + dh' o (1 − tanh² c')
                var cellNew = hiddenNew * ((Vector<T>.One - tanhCell * tanhCell) * outputGate) + cellState;
                SigmoidGradient(input, candidate * cellNew).StoreUnsafe(ref dg, j);                        // di = dc' g, × i(1−i)
                SigmoidGradient(forget, Vector.LoadUnsafe(ref cp, j) * cellNew).StoreUnsafe(ref dg, n + j); // df = dc' c, × f(1−f)
                ((Vector<T>.One - candidate * candidate) * input * cellNew).StoreUnsafe(ref dg, 2 * n + j);   // dg = dc' i (1 − g²)
                SigmoidGradient(outputGate, tanhCell * hiddenNew).StoreUnsafe(ref dg, 3 * n + j);          // do = dh' tanh c', × o(1−o)
                (cellNew * forget).StoreUnsafe(ref dcc, j);                                                 // to the previous step: dc' f
                hiddenState.StoreUnsafe(ref dhc, j);
            }
        }
        for (; j < n; j++)
        {
            T hiddenState = Unsafe.Add(ref dhc, j) + Unsafe.Add(ref dy, n + j);
            T cellState = Unsafe.Add(ref dcc, j) + Unsafe.Add(ref dy, 2 * n + j);
            T hiddenNew = hiddenState + Unsafe.Add(ref dy, j);
            T input = Unsafe.Add(ref g, j), forget = Unsafe.Add(ref g, n + j), candidate = Unsafe.Add(ref g, 2 * n + j), outputGate = Unsafe.Add(ref g, 3 * n + j);
            T tanhCell = Unsafe.Add(ref tc, j);
            T cellNew = hiddenNew * ((T.One - tanhCell * tanhCell) * outputGate) + cellState;
            Unsafe.Add(ref dg, j) = SigmoidGradient(input, candidate * cellNew);
            Unsafe.Add(ref dg, n + j) = SigmoidGradient(forget, Unsafe.Add(ref cp, j) * cellNew);
            Unsafe.Add(ref dg, 2 * n + j) = (T.One - candidate * candidate) * input * cellNew;
            Unsafe.Add(ref dg, 3 * n + j) = SigmoidGradient(outputGate, tanhCell * hiddenNew);
            Unsafe.Add(ref dcc, j) = cellNew * forget;
            Unsafe.Add(ref dhc, j) = hiddenState;
        }
    }

    /// <summary>upstream · s (1 − s), s the sigmoid's output, as <see cref="Activations.SigmoidGradient{T}"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<T> SigmoidGradient<T>(Vector<T> activated, Vector<T> upstream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var product = upstream * activated;
        return product - product * activated;
    }

    /// <summary>upstream · s (1 − s) of one value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T SigmoidGradient<T>(T activated, T upstream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T product = upstream * activated;
        return product - product * activated;
    }
}
