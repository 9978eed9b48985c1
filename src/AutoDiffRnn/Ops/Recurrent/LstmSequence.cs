using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// lstm_sequence: one direction of an LSTM layer over a whole sequence as a single recorded op, with a hand-written backward — the
/// fast path of <see cref="Nn.RecurrentLayer"/>. PyTorch's equations and gate order (i, f, g, o). Step t is active for sequence b iff
/// t &lt; lengths[b] (all steps without lengths); an inactive step keeps the state and outputs zero. The reverse direction runs t = T−1 … 0.
/// Output [T, B, 3H]: per step the layer output, then the hidden state and the cell state after that step.
/// Forward: the input projections of all steps are one GEMM; each step adds h W_hhᵀ (one GEMM) and applies vectorized activations.
/// Backward, in reverse processing order: gate gradients of every step into one buffer, dh_prev = dGates W_hh per step; then
/// dW_ih, dW_hh and dx are one GEMM each over all steps. First-order only: with createGraph it throws (use the composed path).
/// </summary>
[Operation("lstm_sequence")]
internal static class LstmSequenceOp
{
    public static Tensor Apply(Tensor input, Tensor hidden, Tensor cell, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse, int[]? lengths)
    {
        var (steps, batch, inputSize, hiddenSize) = CheckShapes(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, lengths);
        var output = Tensor.Empty(new Shape(steps, batch, 3 * hiddenSize), input.DType);
        Tensor[] inputs = biasIh is null ? [input, hidden, cell, weightIh, weightHh] : [input, hidden, cell, weightIh, weightHh, biasIh, biasHh!];
        bool save = GradMode.IsEnabled && inputs.Any(tensor => tensor.RequiresGrad); // else the tape records nothing: keep no step buffers
        object? saved = input.DType == DType.Float32
            ? Forward<float>(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, hiddenSize, save)
            : Forward<double>(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, hiddenSize, save);
        return Tape.Record("lstm_sequence", output, inputs, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException("lstm_sequence: the fused LSTM has a first-order backward only; for gradients of gradients " +
                                                "use the composed path (RecurrentLayer.UseFusedKernels = false)");
            return input.DType == DType.Float32
                ? Backward<float>((Saved<float>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, steps, batch, inputSize, hiddenSize)
                : Backward<double>((Saved<double>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, steps, batch, inputSize, hiddenSize);
        });
    }

    private sealed record Saved<T>(T[] Gates, T[] Cells, T[] CellTanh, T[] PreviousHidden, T[] PreviousCell, bool[] Active);

    /// <summary>Runs the sequence into <paramref name="output"/>; with <paramref name="save"/> keeps what the backward needs (else returns null).</summary>
    private static Saved<T>? Forward<T>(Tensor input, Tensor hidden0, Tensor cell0, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse, int[]? lengths, Tensor output, int steps, int batch, int inputSize, int hiddenSize, bool save) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize, g4 = 4 * hiddenSize;
        var gates = GC.AllocateUninitializedArray<T>(steps * batch * g4); // every element is written below (no zeroing)
        // input projections of every step at once, biases first
        if (biasIh is not null)
        {
            var bias = new T[g4];
            TensorPrimitives.Add<T>(biasIh.Span<T>(), biasHh!.Span<T>(), bias);
            for (int row = 0; row < steps * batch; row++) bias.CopyTo(gates.AsSpan(row * g4, g4));
        }
        Gemm.Multiply<T>(input.Span<T>(), false, weightIh.Span<T>(), true, gates, steps * batch, g4, inputSize, accumulate: biasIh is not null);

        // without save, the per-step buffers hold one step (slot 0), reused
        int savedSteps = save ? steps : 1;
        var cells = GC.AllocateUninitializedArray<T>(savedSteps * batch * h);
        var cellTanh = GC.AllocateUninitializedArray<T>(savedSteps * batch * h);
        var previousHidden = save ? GC.AllocateUninitializedArray<T>(steps * batch * h) : [];
        var previousCell = save ? GC.AllocateUninitializedArray<T>(steps * batch * h) : [];
        var active = new bool[steps * batch];
        var stateHidden = hidden0.Span<T>().ToArray();
        var stateCell = cell0.Span<T>().ToArray();
        var (parts, rowsPerPart) = RowBlocks(batch, h);
        using var recurrent = Gemm.Pack<T>(weightHh.Span<T>(), transposeB: true, k: h, n: g4, rows: rowsPerPart); // W_hhᵀ, packed once for all steps
        if (parts == 1) RunRows(0, batch, parallelProducts: true);
        else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));

        // the whole recurrence for sequences [first, first + count) of the batch
        void RunRows(int first, int count, bool parallelProducts)
        {
            var result = output.Span<T>();
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k, slot = save ? t : 0, stepRow = t * batch + first;
                if (save)
                {
                    stateHidden.AsSpan(first * h, count * h).CopyTo(previousHidden.AsSpan(stepRow * h, count * h));
                    stateCell.AsSpan(first * h, count * h).CopyTo(previousCell.AsSpan(stepRow * h, count * h));
                }
                Gemm.Multiply<T>(stateHidden.AsSpan(first * h, count * h), false, recurrent, gates.AsSpan(stepRow * g4, count * g4), count,
                    accumulate: true, parallel: parallelProducts);
                for (int b = first; b < first + count; b++)
                {
                    var row = gates.AsSpan((t * batch + b) * g4, g4);
                    TensorPrimitives.Sigmoid<T>(row[..(2 * h)], row[..(2 * h)]);     // i, f
                    Activations.Tanh<T>(row.Slice(2 * h, h), row.Slice(2 * h, h));   // g
                    TensorPrimitives.Sigmoid<T>(row.Slice(3 * h, h), row.Slice(3 * h, h)); // o
                    int at = (slot * batch + b) * h;
                    var cellNew = cells.AsSpan(at, h);
                    var tanhCell = cellTanh.AsSpan(at, h);
                    TensorPrimitives.Multiply<T>(row.Slice(h, h), stateCell.AsSpan(b * h, h), cellNew);          // f c
                    TensorPrimitives.MultiplyAdd<T>(row[..h], row.Slice(2 * h, h), cellNew, cellNew);           // + i g
                    Activations.Tanh<T>(cellNew, tanhCell);
                    var outputRow = result.Slice((t * batch + b) * 3 * h, 3 * h);
                    bool isActive = lengths is null || t < lengths[b];
                    active[t * batch + b] = isActive;
                    if (isActive)
                    {
                        TensorPrimitives.Multiply<T>(row.Slice(3 * h, h), tanhCell, outputRow[..h]);            // h = o tanh(c)
                        outputRow[..h].CopyTo(stateHidden.AsSpan(b * h, h));
                        cellNew.CopyTo(stateCell.AsSpan(b * h, h));
                    }
                    else outputRow[..h].Clear();
                    stateHidden.AsSpan(b * h, h).CopyTo(outputRow.Slice(h, h));
                    stateCell.AsSpan(b * h, h).CopyTo(outputRow.Slice(2 * h, h));
                }
            }
        }
        return save ? new Saved<T>(gates, cells, cellTanh, previousHidden, previousCell, active) : null;
    }

    private static Tensor?[] Backward<T>(Saved<T> saved, Tensor outputGradient, Tensor input, Tensor weightIh, Tensor weightHh, bool hasBias,
        bool reverse, int steps, int batch, int inputSize, int hiddenSize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize, g4 = 4 * hiddenSize;
        var (parts, rowsPerPart) = RowBlocks(batch, h);
        using var recurrent = Gemm.Pack<T>(weightHh.Span<T>(), transposeB: false, k: g4, n: h, rows: rowsPerPart); // W_hh, packed once for all steps
        // pooled (it dies with this call; inactive steps rely on zeros)
        var gateGradients = ArrayPool<T>.Shared.Rent(steps * batch * g4);
        gateGradients.AsSpan(0, steps * batch * g4).Clear();
        var carriedHidden = new T[batch * h];   // dE/d(hidden state after the step being processed), from later steps
        var carriedCell = new T[batch * h];
        var previousHiddenGradient = new T[batch * h];
        if (parts == 1) RunRows(0, batch, parallelProducts: true);
        else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));

        // the whole backward recurrence for sequences [first, first + count) of the batch
        void RunRows(int first, int count, bool parallelProducts)
        {
            ReadOnlySpan<T> grad = outputGradient.Span<T>();
            var hiddenNew = new T[h];
            var cellNew = new T[h];
            var scratch = new T[h];
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k, stepRow = t * batch + first;
                for (int b = first; b < first + count; b++)
                {
                    int at = (t * batch + b) * h;
                    var gradientRow = grad.Slice((t * batch + b) * 3 * h, 3 * h);
                    var dHiddenState = carriedHidden.AsSpan(b * h, h);
                    var dCellState = carriedCell.AsSpan(b * h, h);
                    TensorPrimitives.Add<T>(dHiddenState, gradientRow.Slice(h, h), dHiddenState);     // + dE/d(h state at t)
                    TensorPrimitives.Add<T>(dCellState, gradientRow.Slice(2 * h, h), dCellState);      // + dE/d(c state at t)
                    if (!saved.Active[t * batch + b]) continue; // state passes through; gate gradients stay zero
                    var gates = saved.Gates.AsSpan((t * batch + b) * g4, g4);
                    ReadOnlySpan<T> inputGate = gates[..h], forgetGate = gates.Slice(h, h), candidate = gates.Slice(2 * h, h), outputGate = gates.Slice(3 * h, h);
                    ReadOnlySpan<T> tanhCell = saved.CellTanh.AsSpan(at, h);
                    var dGates = gateGradients.AsSpan((t * batch + b) * g4, g4);
                    // dh_new = dE/dh state + dE/d output
                    TensorPrimitives.Add<T>(dHiddenState, gradientRow[..h], hiddenNew);
                    // dc_new = dc state + dh_new o (1 − tanh² c)
                    TensorPrimitives.Multiply<T>(tanhCell, tanhCell, scratch);
                    TensorPrimitives.Subtract<T>(T.One, scratch, scratch);
                    TensorPrimitives.Multiply<T>(scratch, outputGate, scratch);
                    TensorPrimitives.MultiplyAdd<T>(hiddenNew, scratch, dCellState, cellNew);
                    // gate gradients before the activations
                    Sigmoid(inputGate, cellNewTimes(candidate, cellNew, scratch), dGates[..h]);                  // di = dc g, × i(1−i)
                    Sigmoid(forgetGate, cellNewTimes(saved.PreviousCell.AsSpan(at, h), cellNew, scratch), dGates.Slice(h, h)); // df = dc c_prev
                    TensorPrimitives.Multiply<T>(candidate, candidate, scratch);                                   // dg = dc i (1 − g²)
                    TensorPrimitives.Subtract<T>(T.One, scratch, scratch);
                    TensorPrimitives.Multiply<T>(scratch, inputGate, scratch);
                    TensorPrimitives.Multiply<T>(scratch, cellNew, dGates.Slice(2 * h, h));
                    Sigmoid(outputGate, cellNewTimes(tanhCell, hiddenNew, scratch), dGates.Slice(3 * h, h));     // do = dh tanh c
                    // carried cell gradient to the previous step: dc_new f
                    TensorPrimitives.Multiply<T>(cellNew, forgetGate, dCellState);
                }
                // carried hidden gradient: dGates W_hh for active rows, unchanged for inactive ones
                Gemm.Multiply<T>(gateGradients.AsSpan(stepRow * g4, count * g4), false, recurrent, previousHiddenGradient.AsSpan(first * h, count * h),
                    count, accumulate: false, parallel: parallelProducts);
                for (int b = first; b < first + count; b++)
                    if (saved.Active[t * batch + b])
                        previousHiddenGradient.AsSpan(b * h, h).CopyTo(carriedHidden.AsSpan(b * h, h));
            }
        }

        static Span<T> cellNewTimes(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination)
        {
            TensorPrimitives.Multiply<T>(a, b, destination);
            return destination;
        }

        static void Sigmoid(ReadOnlySpan<T> activated, ReadOnlySpan<T> upstream, Span<T> destination)
        {
            // destination = upstream · y (1 − y), y the sigmoid output
            Activations.SigmoidGradient(activated, upstream, destination);
        }

        Tensor? inputGradient = null, weightIhGradient = null, weightHhGradient = null, biasGradient = null;
        if (input.RequiresGrad)
        {
            inputGradient = Tensor.Empty(input.Shape, input.DType);
            Gemm.Multiply<T>(gateGradients, false, weightIh.Span<T>(), false, inputGradient.Span<T>(), steps * batch, inputSize, g4, accumulate: false);
        }
        if (weightIh.RequiresGrad)
        {
            weightIhGradient = Tensor.Empty(weightIh.Shape, input.DType);
            Gemm.Multiply<T>(gateGradients, true, input.Span<T>(), false, weightIhGradient.Span<T>(), g4, inputSize, steps * batch, accumulate: false);
        }
        if (weightHh.RequiresGrad)
        {
            weightHhGradient = Tensor.Empty(weightHh.Shape, input.DType);
            Gemm.Multiply<T>(gateGradients, true, saved.PreviousHidden, false, weightHhGradient.Span<T>(), g4, h, steps * batch, accumulate: false);
        }
        if (hasBias)
        {
            biasGradient = Tensor.Empty(new Shape(g4), input.DType);
            var sums = biasGradient.Span<T>();
            for (int row = 0; row < steps * batch; row++) TensorPrimitives.Add<T>(sums, gateGradients.AsSpan(row * g4, g4), sums);
        }
        var hiddenGradient = new Tensor(carriedHidden, new Shape(batch, h));
        var cellGradient = new Tensor(carriedCell, new Shape(batch, h));
        ArrayPool<T>.Shared.Return(gateGradients);
        return hasBias
            ? [inputGradient, hiddenGradient, cellGradient, weightIhGradient, weightHhGradient, biasGradient, biasGradient?.Clone()]
            : [inputGradient, hiddenGradient, cellGradient, weightIhGradient, weightHhGradient];
    }

    /// <summary>
    /// How the batch is split over the cores: the sequences of a batch are independent, so each thread can run the whole recurrence
    /// for a block of rows (one fork per sequence instead of one per step); the GRU (3 gates) shares it. Splits when the per-step product h W_hhᵀ has at least
    /// <see cref="ParallelRowsThreshold"/> multiply-adds.
    /// </summary>
    internal static (int Parts, int RowsPerPart) RowBlocks(int batch, int hiddenSize, int gates = 4)
    {
        long work = (long)batch * hiddenSize * gates * hiddenSize;
        int parts = work >= ParallelRowsThreshold ? Math.Min(batch, Gemm.MaxParallelism) : 1;
        int rowsPerPart = (batch + parts - 1) / parts;
        return ((batch + rowsPerPart - 1) / rowsPerPart, rowsPerPart);
    }

    /// <summary>Multiply-adds of the per-step product from which the batch is split over the cores.</summary>
    internal static long ParallelRowsThreshold = 1L << 20;

    private static (int Steps, int Batch, int InputSize, int HiddenSize) CheckShapes(Tensor input, Tensor hidden, Tensor cell, Tensor weightIh,
        Tensor weightHh, Tensor? biasIh, Tensor? biasHh, int[]? lengths)
    {
        foreach (var tensor in new[] { hidden, cell, weightIh, weightHh, biasIh, biasHh }.OfType<Tensor>())
            Elementwise.RequireSameDType("lstm_sequence", input, tensor);
        if (input.Rank != 3) throw new ArgumentException($"lstm_sequence: input must be [T, B, I], got {input.Shape}");
        int steps = input.Shape[0], batch = input.Shape[1], inputSize = input.Shape[2];
        if (weightHh.Rank != 2 || weightHh.Shape[0] != 4 * weightHh.Shape[1])
            throw new ArgumentException($"lstm_sequence: weight_hh must be [4H, H], got {weightHh.Shape}");
        int hiddenSize = weightHh.Shape[1];
        if (weightIh.Shape != new Shape(4 * hiddenSize, inputSize))
            throw new ArgumentException($"lstm_sequence: weight_ih must be [{4 * hiddenSize}, {inputSize}] for input {input.Shape}, got {weightIh.Shape}");
        var state = new Shape(batch, hiddenSize);
        if (hidden.Shape != state || cell.Shape != state)
            throw new ArgumentException($"lstm_sequence: initial states must be {state}, got {hidden.Shape} and {cell.Shape}");
        if ((biasIh is null) != (biasHh is null) || (biasIh is not null && (biasIh.Shape != new Shape(4 * hiddenSize) || biasHh!.Shape != new Shape(4 * hiddenSize))))
            throw new ArgumentException($"lstm_sequence: biases must both be [{4 * hiddenSize}] or both absent");
        if (lengths is not null && (lengths.Length != batch || lengths.Any(length => length < 1 || length > steps)))
            throw new ArgumentException($"lstm_sequence: lengths [{string.Join(",", lengths)}] must give one length in 1..{steps} per batch entry ({batch})");
        return (steps, batch, inputSize, hiddenSize);
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// One LSTM direction over a sequence in a single fused op (see <c>lstm_sequence</c>): input [T, B, I], initial states [B, H],
    /// weights [4H, I] and [4H, H], optional biases [4H]; returns [T, B, 3H] holding per step the output, the hidden state and the cell state.
    /// </summary>
    public static Tensor LstmSequence(Tensor input, Tensor hidden, Tensor cell, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse = false, int[]? lengths = null) =>
        LstmSequenceOp.Apply(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, reverse, lengths);
}
