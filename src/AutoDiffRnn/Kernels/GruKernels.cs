using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// The element-wise part of one GRU step for one sequence, as a single vectorized loop over the hidden units (gate order r, z, n,
/// PyTorch's equations with b_hn inside the reset product), like <see cref="LstmKernels"/> for the LSTM. Used by the fused
/// <c>gru_sequence</c> op; the arithmetic is that of the composed path, operation for operation.
/// </summary>
internal static class GruKernels
{
    /// <summary>
    /// Forward: with <paramref name="gates"/> (3H) holding x_r, x_z, x_n (input projections with b_ih) and <paramref name="fromHidden"/>
    /// (3H) holding h_r, h_z, h_n (W_hh h + b_hh), writes r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r h_n) into
    /// <paramref name="gates"/> and h' = n + z (h − n). When <paramref name="active"/> the state becomes h' and the output row (2H)
    /// gets h', h'; otherwise the state is kept and the output row gets 0, h. <paramref name="hiddenCandidateOut"/> (H, or empty to
    /// skip) receives h_n for the backward.
    /// </summary>
    public static void ForwardStep<T>(Span<T> gates, ReadOnlySpan<T> fromHidden, Span<T> hidden, Span<T> output, bool active, Span<T> hiddenCandidateOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden.Length;
        if (gates.Length != 3 * h || fromHidden.Length != 3 * h || output.Length != 2 * h)
            throw new ArgumentException("gru step: the gate rows must be 3H and the output row 2H");
        bool keep = !hiddenCandidateOut.IsEmpty;
        if (keep && hiddenCandidateOut.Length != h) throw new ArgumentException("gru step: the saved candidate row must be H");
        ref T g = ref MemoryMarshal.GetReference(gates);
        ref T u = ref MemoryMarshal.GetReference(fromHidden);
        ref T hs = ref MemoryMarshal.GetReference(hidden);
        ref T o = ref MemoryMarshal.GetReference(output);
        ref T hn = ref MemoryMarshal.GetReference(hiddenCandidateOut);
        nuint n = (nuint)h, j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; j + (nuint)Vector<T>.Count <= n; j += (nuint)Vector<T>.Count)
            {
                var reset = Activations.SigmoidVector(Vector.LoadUnsafe(ref g, j) + Vector.LoadUnsafe(ref u, j));
                var update = Activations.SigmoidVector(Vector.LoadUnsafe(ref g, n + j) + Vector.LoadUnsafe(ref u, n + j));
                var hiddenN = Vector.LoadUnsafe(ref u, 2 * n + j);
                var candidate = Activations.TanhVector(reset * hiddenN + Vector.LoadUnsafe(ref g, 2 * n + j));
                reset.StoreUnsafe(ref g, j);
                update.StoreUnsafe(ref g, n + j);
                candidate.StoreUnsafe(ref g, 2 * n + j);
                if (keep) hiddenN.StoreUnsafe(ref hn, j);
                var previous = Vector.LoadUnsafe(ref hs, j);
                if (active)
                {
                    var hiddenNew = (previous - candidate) * update + candidate;
                    hiddenNew.StoreUnsafe(ref hs, j);
                    hiddenNew.StoreUnsafe(ref o, j);
                    hiddenNew.StoreUnsafe(ref o, n + j);
                }
                else
                {
                    Vector<T>.Zero.StoreUnsafe(ref o, j);
                    previous.StoreUnsafe(ref o, n + j);
                }
            }
        }
        for (; j < n; j++)
        {
            T reset = Activations.Sigmoid(Unsafe.Add(ref g, j) + Unsafe.Add(ref u, j));
            T update = Activations.Sigmoid(Unsafe.Add(ref g, n + j) + Unsafe.Add(ref u, n + j));
            T hiddenN = Unsafe.Add(ref u, 2 * n + j);
            T candidate = Activations.Tanh(reset * hiddenN + Unsafe.Add(ref g, 2 * n + j));
            Unsafe.Add(ref g, j) = reset;
            Unsafe.Add(ref g, n + j) = update;
            Unsafe.Add(ref g, 2 * n + j) = candidate;
            if (keep) Unsafe.Add(ref hn, j) = hiddenN;
            T previous = Unsafe.Add(ref hs, j);
            if (active)
            {
                T hiddenNew = (previous - candidate) * update + candidate;
                Unsafe.Add(ref hs, j) = hiddenNew;
                Unsafe.Add(ref o, j) = hiddenNew;
                Unsafe.Add(ref o, n + j) = hiddenNew;
            }
            else
            {
                Unsafe.Add(ref o, j) = T.Zero;
                Unsafe.Add(ref o, n + j) = previous;
            }
        }
    }

    /// <summary>
    /// Backward of one step: with the activated <paramref name="gates"/> (r, z, n), h_n and the previous state of the forward, the output
    /// gradient row (2H: d output, d state) and the gradient carried from later steps (H, in: with respect to the state after this step;
    /// out: its direct path to the state before, dh' z), writes the gradients of the input projections (x_r, x_z, x_n) and of the hidden
    /// projections (h_r, h_z, h_n), 3H each; zeros when not <paramref name="active"/> (the state passes through unchanged). The caller then
    /// adds d(h projections) W_hh to <paramref name="carried"/>.
    /// </summary>
    public static void BackwardStep<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> hiddenCandidate, ReadOnlySpan<T> previousHidden,
        ReadOnlySpan<T> outputGradient, Span<T> carried, Span<T> inputGradients, Span<T> hiddenGradients, bool active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = carried.Length;
        if (gates.Length != 3 * h || hiddenCandidate.Length != h || previousHidden.Length != h || outputGradient.Length != 2 * h
            || inputGradients.Length != 3 * h || hiddenGradients.Length != 3 * h)
            throw new ArgumentException("gru step backward: the gate rows must be 3H, the output gradient row 2H and the others H");
        ref T g = ref MemoryMarshal.GetReference(gates);
        ref T hn = ref MemoryMarshal.GetReference(hiddenCandidate);
        ref T hp = ref MemoryMarshal.GetReference(previousHidden);
        ref T dy = ref MemoryMarshal.GetReference(outputGradient);
        ref T dc = ref MemoryMarshal.GetReference(carried);
        ref T dx = ref MemoryMarshal.GetReference(inputGradients);
        ref T du = ref MemoryMarshal.GetReference(hiddenGradients);
        nuint n = (nuint)h, j = 0;
        if (!active)
        {
            for (; j < n; j++) Unsafe.Add(ref dc, j) += Unsafe.Add(ref dy, n + j);
            inputGradients.Clear();
            hiddenGradients.Clear();
            return;
        }
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; j + (nuint)Vector<T>.Count <= n; j += (nuint)Vector<T>.Count)
            {
                var hiddenNew = Vector.LoadUnsafe(ref dc, j) + Vector.LoadUnsafe(ref dy, n + j) + Vector.LoadUnsafe(ref dy, j); // dh'
                var reset = Vector.LoadUnsafe(ref g, j);
                var update = Vector.LoadUnsafe(ref g, n + j);
                var candidate = Vector.LoadUnsafe(ref g, 2 * n + j);
                // dn_pre = dh' (1 − n²) (1 − z)
                var scaled = (Vector<T>.One - candidate * candidate) * hiddenNew;
                var candidateGradient = scaled - scaled * update;
                candidateGradient.StoreUnsafe(ref dx, 2 * n + j);
                (candidateGradient * reset).StoreUnsafe(ref du, 2 * n + j);                                         // d h_n = dn_pre r
                var resetGradient = LstmKernels.SigmoidGradient(reset, candidateGradient * Vector.LoadUnsafe(ref hn, j)); // dr_pre = dn_pre h_n r(1−r)
                var updateGradient = LstmKernels.SigmoidGradient(update, (Vector.LoadUnsafe(ref hp, j) - candidate) * hiddenNew); // dz_pre = dh' (h − n) z(1−z)
                resetGradient.StoreUnsafe(ref dx, j);
                resetGradient.StoreUnsafe(ref du, j);
                updateGradient.StoreUnsafe(ref dx, n + j);
                updateGradient.StoreUnsafe(ref du, n + j);
                (hiddenNew * update).StoreUnsafe(ref dc, j);                                                         // the direct path: dh' z
            }
        }
        for (; j < n; j++)
        {
            T hiddenNew = Unsafe.Add(ref dc, j) + Unsafe.Add(ref dy, n + j) + Unsafe.Add(ref dy, j);
            T reset = Unsafe.Add(ref g, j), update = Unsafe.Add(ref g, n + j), candidate = Unsafe.Add(ref g, 2 * n + j);
            T scaled = (T.One - candidate * candidate) * hiddenNew;
            T candidateGradient = scaled - scaled * update;
            Unsafe.Add(ref dx, 2 * n + j) = candidateGradient;
            Unsafe.Add(ref du, 2 * n + j) = candidateGradient * reset;
            T resetGradient = LstmKernels.SigmoidGradient(reset, candidateGradient * Unsafe.Add(ref hn, j));
            T updateGradient = LstmKernels.SigmoidGradient(update, (Unsafe.Add(ref hp, j) - candidate) * hiddenNew);
            Unsafe.Add(ref dx, j) = resetGradient;
            Unsafe.Add(ref du, j) = resetGradient;
            Unsafe.Add(ref dx, n + j) = updateGradient;
            Unsafe.Add(ref du, n + j) = updateGradient;
            Unsafe.Add(ref dc, j) = hiddenNew * update;
        }
    }
}
