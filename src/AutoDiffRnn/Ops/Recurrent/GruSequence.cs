using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// gru_sequence: one direction of a GRU layer over a whole sequence as a single recorded op with a hand-written backward (the GRU fast
/// path of <see cref="Nn.RecurrentLayer"/>). PyTorch's equations and gate order (r, z, n, with b_hn inside the reset product):
/// r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n), h' = (1 − z) ⊙ n + z ⊙ h, where x_· = W_i· x + b_i· and h_· = W_h· h + b_h·.
/// Step t is active for sequence b iff t &lt; lengths[b]; an inactive step keeps the state and outputs zero; reverse runs t = T−1 … 0.
/// Output [T, B, 2H]: per step the layer output, then the hidden state after the step. First-order backward only.
/// </summary>
[Operation("gru_sequence")]
internal static class GruSequenceOp
{
    public static Tensor Apply(Tensor input, Tensor hidden, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse, int[]? lengths)
    {
        foreach (var tensor in new[] { hidden, weightIh, weightHh, biasIh, biasHh }.OfType<Tensor>())
            Elementwise.RequireSameDType("gru_sequence", input, tensor);
        if (input.Rank != 3) throw new ArgumentException($"gru_sequence: input must be [T, B, I], got {input.Shape}");
        int steps = input.Shape[0], batch = input.Shape[1], inputSize = input.Shape[2];
        if (weightHh.Rank != 2 || weightHh.Shape[0] != 3 * weightHh.Shape[1])
            throw new ArgumentException($"gru_sequence: weight_hh must be [3H, H], got {weightHh.Shape}");
        int h = weightHh.Shape[1];
        if (weightIh.Shape != new Shape(3 * h, inputSize))
            throw new ArgumentException($"gru_sequence: weight_ih must be [{3 * h}, {inputSize}] for input {input.Shape}, got {weightIh.Shape}");
        if (hidden.Shape != new Shape(batch, h))
            throw new ArgumentException($"gru_sequence: the initial state must be [{batch}, {h}], got {hidden.Shape}");
        if ((biasIh is null) != (biasHh is null) || (biasIh is not null && (biasIh.Shape != new Shape(3 * h) || biasHh!.Shape != new Shape(3 * h))))
            throw new ArgumentException($"gru_sequence: biases must both be [{3 * h}] or both absent");
        if (lengths is not null && (lengths.Length != batch || lengths.Any(length => length < 1 || length > steps)))
            throw new ArgumentException($"gru_sequence: lengths [{string.Join(",", lengths)}] must give one length in 1..{steps} per batch entry ({batch})");

        var output = Tensor.Empty(new Shape(steps, batch, 2 * h), input.DType);
        Tensor[] inputs = biasIh is null ? [input, hidden, weightIh, weightHh] : [input, hidden, weightIh, weightHh, biasIh, biasHh!];
        bool save = GradMode.IsEnabled && inputs.Any(tensor => tensor.RequiresGrad); // else the tape records nothing: keep no step buffers
        object? saved = input.DType == DType.Float32
            ? Forward<float>(input, hidden, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, h, save)
            : Forward<double>(input, hidden, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, h, save);
        return Tape.Record("gru_sequence", output, inputs, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException("gru_sequence: the fused GRU has a first-order backward only; for gradients of gradients " +
                                                "use the composed path (RecurrentLayer.UseFusedKernels = false)");
            return input.DType == DType.Float32
                ? Backward<float>((Saved<float>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, steps, batch, inputSize, h)
                : Backward<double>((Saved<double>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, steps, batch, inputSize, h);
        });
    }

    /// <summary>Per step and row: r, z, n (activated) in <c>Gates</c>; h_n = W_hn h + b_hn in <c>HiddenCandidate</c>; the previous state.</summary>
    private sealed record Saved<T>(T[] Gates, T[] HiddenCandidate, T[] PreviousHidden, bool[] Active);

    /// <summary>Runs the sequence into <paramref name="output"/>; with <paramref name="save"/> keeps what the backward needs (else returns null).</summary>
    private static Saved<T>? Forward<T>(Tensor input, Tensor hidden0, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse, int[]? lengths, Tensor output, int steps, int batch, int inputSize, int h, bool save) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g3 = 3 * h;
        var gates = GC.AllocateUninitializedArray<T>(steps * batch * g3); // every element is written below (no zeroing)
        if (biasIh is not null)
        {
            ReadOnlySpan<T> bias = biasIh.Span<T>();
            for (int row = 0; row < steps * batch; row++) bias.CopyTo(gates.AsSpan(row * g3, g3));
        }
        Gemm.Multiply<T>(input.Span<T>(), false, weightIh.Span<T>(), true, gates, steps * batch, g3, inputSize, accumulate: biasIh is not null);
        // without save, the candidate buffer holds one step (slot 0), reused
        var hiddenCandidate = GC.AllocateUninitializedArray<T>((save ? steps : 1) * batch * h);
        var previousHidden = save ? GC.AllocateUninitializedArray<T>(steps * batch * h) : [];
        var active = new bool[steps * batch];
        var state = hidden0.Span<T>().ToArray();
        var fromHidden = new T[batch * g3];
        var (parts, rowsPerPart) = LstmSequenceOp.RowBlocks(batch, h, gates: 3);
        using var recurrent = Gemm.Pack<T>(weightHh.Span<T>(), transposeB: true, k: h, n: g3, rows: rowsPerPart); // W_hhᵀ, packed once for all steps
        if (parts == 1) RunRows(0, batch, parallelProducts: true);
        else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));

        // the whole recurrence for sequences [first, first + count) of the batch
        void RunRows(int first, int count, bool parallelProducts)
        {
            var result = output.Span<T>();
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k, slot = save ? t : 0, stepRow = t * batch + first;
                if (save) state.AsSpan(first * h, count * h).CopyTo(previousHidden.AsSpan(stepRow * h, count * h));
                if (biasHh is not null)
                {
                    ReadOnlySpan<T> bias = biasHh.Span<T>();
                    for (int b = first; b < first + count; b++) bias.CopyTo(fromHidden.AsSpan(b * g3, g3));
                }
                Gemm.Multiply<T>(state.AsSpan(first * h, count * h), false, recurrent, fromHidden.AsSpan(first * g3, count * g3), count,
                    accumulate: biasHh is not null, parallel: parallelProducts);
                for (int b = first; b < first + count; b++)
                {
                    var row = gates.AsSpan((t * batch + b) * g3, g3);
                    var hiddenRow = fromHidden.AsSpan(b * g3, g3);
                    TensorPrimitives.Add<T>(row[..(2 * h)], hiddenRow[..(2 * h)], row[..(2 * h)]);
                    TensorPrimitives.Sigmoid<T>(row[..(2 * h)], row[..(2 * h)]);                       // r, z
                    var candidate = row.Slice(2 * h, h);
                    hiddenRow.Slice(2 * h, h).CopyTo(hiddenCandidate.AsSpan((slot * batch + b) * h, h));
                    TensorPrimitives.MultiplyAdd<T>(row[..h], hiddenRow.Slice(2 * h, h), candidate, candidate); // x_n + r h_n
                    Activations.Tanh<T>(candidate, candidate);                                          // n
                    var outputRow = result.Slice((t * batch + b) * 2 * h, 2 * h);
                    bool isActive = lengths is null || t < lengths[b];
                    active[t * batch + b] = isActive;
                    var previous = state.AsSpan(b * h, h);
                    if (isActive)
                    {
                        // h' = n + z (h − n)
                        TensorPrimitives.Subtract<T>(previous, candidate, outputRow[..h]);
                        TensorPrimitives.MultiplyAdd<T>(outputRow[..h], row.Slice(h, h), candidate, outputRow[..h]);
                        outputRow[..h].CopyTo(previous);
                    }
                    else outputRow[..h].Clear();
                    previous.CopyTo(outputRow.Slice(h, h));
                }
            }
        }
        return save ? new Saved<T>(gates, hiddenCandidate, previousHidden, active) : null;
    }

    private static Tensor?[] Backward<T>(Saved<T> saved, Tensor outputGradient, Tensor input, Tensor weightIh, Tensor weightHh, bool hasBias,
        bool reverse, int steps, int batch, int inputSize, int h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g3 = 3 * h;
        var (parts, rowsPerPart) = LstmSequenceOp.RowBlocks(batch, h, gates: 3);
        using var recurrent = Gemm.Pack<T>(weightHh.Span<T>(), transposeB: false, k: g3, n: h, rows: rowsPerPart); // W_hh, packed once for all steps
        // pooled (they die with this call; inactive steps rely on zeros)
        var inputGateGradients = ArrayPool<T>.Shared.Rent(steps * batch * g3);   // d(x_r, x_z, x_n)
        var hiddenGateGradients = ArrayPool<T>.Shared.Rent(steps * batch * g3);  // d(h_r, h_z, h_n)
        inputGateGradients.AsSpan(0, steps * batch * g3).Clear();
        hiddenGateGradients.AsSpan(0, steps * batch * g3).Clear();
        var carried = new T[batch * h];
        var throughWeights = new T[batch * h];
        if (parts == 1) RunRows(0, batch, parallelProducts: true);
        else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));

        // the whole backward recurrence for sequences [first, first + count) of the batch
        void RunRows(int first, int count, bool parallelProducts)
        {
            ReadOnlySpan<T> grad = outputGradient.Span<T>();
            var hiddenNew = new T[h];
            var scratch = new T[h];
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k, stepRow = t * batch + first;
                for (int b = first; b < first + count; b++)
                {
                    var dState = carried.AsSpan(b * h, h);
                    var gradientRow = grad.Slice((t * batch + b) * 2 * h, 2 * h);
                    TensorPrimitives.Add<T>(dState, gradientRow.Slice(h, h), dState);              // + dE/d(state at t)
                    if (!saved.Active[t * batch + b]) continue;
                    int at = (t * batch + b) * h;
                    var gates = saved.Gates.AsSpan((t * batch + b) * g3, g3);
                    ReadOnlySpan<T> reset = gates[..h], update = gates.Slice(h, h), candidate = gates.Slice(2 * h, h);
                    ReadOnlySpan<T> hiddenN = saved.HiddenCandidate.AsSpan(at, h), previous = saved.PreviousHidden.AsSpan(at, h);
                    var dInput = inputGateGradients.AsSpan((t * batch + b) * g3, g3);
                    var dHidden = hiddenGateGradients.AsSpan((t * batch + b) * g3, g3);
                    TensorPrimitives.Add<T>(dState, gradientRow[..h], hiddenNew);                   // dh' = d state + d output
                    // dn_pre = dh' (1 − z)(1 − n²)
                    TensorPrimitives.Multiply<T>(candidate, candidate, scratch);
                    TensorPrimitives.Subtract<T>(T.One, scratch, scratch);
                    TensorPrimitives.Multiply<T>(scratch, hiddenNew, scratch);
                    TensorPrimitives.Multiply<T>(scratch, update, dInput.Slice(2 * h, h));
                    TensorPrimitives.Subtract<T>(scratch, dInput.Slice(2 * h, h), dInput.Slice(2 * h, h)); // × (1 − z)
                    var dCandidate = dInput.Slice(2 * h, h);
                    // d h_n = dn_pre r ; dr_pre = dn_pre h_n r (1 − r)
                    TensorPrimitives.Multiply<T>(dCandidate, reset, dHidden.Slice(2 * h, h));
                    TensorPrimitives.Multiply<T>(dCandidate, hiddenN, dInput[..h]);
                    SigmoidDerivative(reset, dInput[..h]);
                    // dz_pre = dh' (h − n) z (1 − z)
                    TensorPrimitives.Subtract<T>(previous, candidate, dInput.Slice(h, h));
                    TensorPrimitives.Multiply<T>(dInput.Slice(h, h), hiddenNew, dInput.Slice(h, h));
                    SigmoidDerivative(update, dInput.Slice(h, h));
                    dInput[..(2 * h)].CopyTo(dHidden[..(2 * h)]);
                    // the direct path: dh_prev = dh' z (+ the path through W_hh, added after the GEMM)
                    TensorPrimitives.Multiply<T>(hiddenNew, update, dState);
                }
                Gemm.Multiply<T>(hiddenGateGradients.AsSpan(stepRow * g3, count * g3), false, recurrent, throughWeights.AsSpan(first * h, count * h),
                    count, accumulate: false, parallel: parallelProducts);
                for (int b = first; b < first + count; b++)
                    if (saved.Active[t * batch + b])
                        TensorPrimitives.Add<T>(carried.AsSpan(b * h, h), throughWeights.AsSpan(b * h, h), carried.AsSpan(b * h, h));
            }
        }

        static void SigmoidDerivative(ReadOnlySpan<T> activated, Span<T> values)
        {
            // values ← values · y (1 − y)
            Activations.SigmoidGradient<T>(activated, values, values);
        }

        Tensor? dX = null, dWih = null, dWhh = null, dBih = null, dBhh = null;
        if (input.RequiresGrad)
        {
            dX = Tensor.Empty(input.Shape, input.DType);
            Gemm.Multiply<T>(inputGateGradients, false, weightIh.Span<T>(), false, dX.Span<T>(), steps * batch, inputSize, g3, accumulate: false);
        }
        if (weightIh.RequiresGrad)
        {
            dWih = Tensor.Empty(weightIh.Shape, input.DType);
            Gemm.Multiply<T>(inputGateGradients, true, input.Span<T>(), false, dWih.Span<T>(), g3, inputSize, steps * batch, accumulate: false);
        }
        if (weightHh.RequiresGrad)
        {
            dWhh = Tensor.Empty(weightHh.Shape, input.DType);
            Gemm.Multiply<T>(hiddenGateGradients, true, saved.PreviousHidden, false, dWhh.Span<T>(), g3, h, steps * batch, accumulate: false);
        }
        if (hasBias)
        {
            dBih = Tensor.Empty(new Shape(g3), input.DType);
            dBhh = Tensor.Empty(new Shape(g3), input.DType);
            for (int row = 0; row < steps * batch; row++)
            {
                TensorPrimitives.Add<T>(dBih.Span<T>(), inputGateGradients.AsSpan(row * g3, g3), dBih.Span<T>());
                TensorPrimitives.Add<T>(dBhh.Span<T>(), hiddenGateGradients.AsSpan(row * g3, g3), dBhh.Span<T>());
            }
        }
        var dHidden0 = new Tensor(carried, new Shape(batch, h));
        ArrayPool<T>.Shared.Return(inputGateGradients);
        ArrayPool<T>.Shared.Return(hiddenGateGradients);
        return hasBias ? [dX, dHidden0, dWih, dWhh, dBih, dBhh] : [dX, dHidden0, dWih, dWhh];
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// One GRU direction over a sequence in a single fused op (see <c>gru_sequence</c>): input [T, B, I], initial state [B, H],
    /// weights [3H, I] and [3H, H], optional biases [3H]; returns [T, B, 2H] holding per step the output and the hidden state.
    /// </summary>
    public static Tensor GruSequence(Tensor input, Tensor hidden, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse = false, int[]? lengths = null) =>
        GruSequenceOp.Apply(input, hidden, weightIh, weightHh, biasIh, biasHh, reverse, lengths);
}
