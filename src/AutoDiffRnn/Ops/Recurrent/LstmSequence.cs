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
/// Forward: the input projections of all steps are one GEMM; each step adds h W_hhᵀ (<see cref="RecurrentProduct{T}"/>) and runs the
/// gate math of each sequence in one vectorized loop (<see cref="LstmKernels.ForwardStep{T}"/>).
/// Backward, in reverse processing order: gate gradients of every step into one buffer (<see cref="LstmKernels.BackwardStep{T}"/>),
/// dh_prev = dGates W_hh per step; dW_ih, dW_hh and dx are one GEMM each over all steps. With a single-threaded recurrence the
/// projections and these products run in chunks of steps beside it (<see cref="StepChunks"/>). The step buffers saved for the backward
/// are pooled and go back to the pool when the tape frees the node. First-order only: with createGraph it throws (use the composed path).
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
        if (batch == 0) return EmptyBatch.Record("lstm_sequence", output, inputs);
        bool save = GradMode.IsEnabled && inputs.Any(tensor => tensor.RequiresGrad); // else the tape records nothing: keep no step buffers
        lengths = (int[]?)lengths?.Clone(); // the backward reads them later
        ISavedSteps? saved = input.DType == DType.Float32
            ? Forward<float>(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, hiddenSize, save)
            : Forward<double>(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, hiddenSize, save);
        return Tape.Record("lstm_sequence", output, inputs, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException("lstm_sequence: the fused LSTM has a first-order backward only; for gradients of gradients " +
                                                "use the composed path (RecurrentLayer.UseFusedKernels = false)");
            return input.DType == DType.Float32
                ? Backward<float>((Saved<float>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, lengths, steps, batch, inputSize, hiddenSize)
                : Backward<double>((Saved<double>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, lengths, steps, batch, inputSize, hiddenSize);
        }, release: () => saved?.Release());
    }

    /// <summary>
    /// The saved step buffers (pooled, see <see cref="SavedSteps{T}"/>): per step and row, the activated gates (i, f, g, o), the new cell
    /// state and its tanh, and the hidden and cell states before the step.
    /// </summary>
    private sealed class Saved<T>(int steps, int batch, int hiddenSize) : SavedSteps<T>(8, steps, batch, hiddenSize)
    {
        private readonly int h = hiddenSize;

        public Span<T> Gates => Part(0, 4 * h);
        public Span<T> Cells => Part(4, h);
        public Span<T> CellTanh => Part(5, h);
        public Span<T> PreviousHidden => Part(6, h);
        public Span<T> PreviousCell => Part(7, h);
    }

    /// <summary>Runs the sequence into <paramref name="output"/>; with <paramref name="save"/> keeps what the backward needs (else returns null).</summary>
    private static Saved<T>? Forward<T>(Tensor input, Tensor hidden0, Tensor cell0, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse, int[]? lengths, Tensor output, int steps, int batch, int inputSize, int hiddenSize, bool save) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize, g4 = 4 * hiddenSize;
        int inferenceBlocks = save ? 1 : InferenceBlocks<T>(batch, h);
        if (inferenceBlocks > 1)
        {
            LstmInference.Run<T>(input, hidden0, cell0, weightIh, weightHh, biasIh, biasHh, reverse, lengths,
                LstmInferenceTarget.SequenceRows(output, h), inferenceBlocks);
            return null;
        }
        var saved = save ? new Saved<T>(steps, batch, h) : null;
        // without save, only the gate pre-activations need a buffer (every element is written below)
        var gateBuffer = saved is null ? ArrayPool<T>.Shared.Rent(steps * batch * g4) : null;
        T[]? biasSum = null;
        if (biasIh is not null)
        {
            biasSum = new T[g4];
            TensorPrimitives.Add<T>(biasIh.Span<T>(), biasHh!.Span<T>(), biasSum);
        }
        var (parts, rowsPerPart) = RowBlocks(batch, h);
        // a single-threaded recurrence overlaps with the input projections of the steps ahead, computed on another core
        StepChunks? chunks = null;
        chunks = StepChunks.For(steps, parts, chunk => ProjectChunk(chunk));
        try
        {
            if (chunks is null) Project(0, steps);
            else chunks.StartAll();

            var stateHidden = hidden0.Span<T>().ToArray();
            var stateCell = cell0.Span<T>().ToArray();
            using var recurrent = new RecurrentProduct<T>(weightHh.Span<T>(), transposeB: true, k: h, n: g4, rows: rowsPerPart); // W_hhᵀ, laid out once for all steps
            var gateArray = gateBuffer;
            if (parts == 1) RunRows(0, batch, parallelProducts: true);
            else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));

            // the whole recurrence for sequences [first, first + count) of the batch
            void RunRows(int first, int count, bool parallelProducts)
            {
                var result = output.Span<T>();
                var gates = saved is null ? gateArray.AsSpan(0, steps * batch * g4) : saved.Gates;
                for (int k = 0; k < steps; k++)
                {
                    if (chunks is not null && k % chunks.StepsPerChunk == 0) chunks.WaitFor(k / chunks.StepsPerChunk);
                    int t = reverse ? steps - 1 - k : k, stepRow = t * batch + first;
                    recurrent.Multiply(stateHidden.AsSpan(first * h, count * h), gates.Slice(stepRow * g4, count * g4), count,
                        accumulate: true, parallel: parallelProducts);
                    for (int b = first; b < first + count; b++)
                    {
                        int row = t * batch + b;
                        bool active = lengths is null || t < lengths[b];
                        var hiddenState = stateHidden.AsSpan(b * h, h);
                        var cellState = stateCell.AsSpan(b * h, h);
                        if (saved is not null)
                        {
                            hiddenState.CopyTo(saved.PreviousHidden.Slice(row * h, h));
                            cellState.CopyTo(saved.PreviousCell.Slice(row * h, h));
                            LstmKernels.ForwardStep<T>(gates.Slice(row * g4, g4), hiddenState, cellState, result.Slice(row * 3 * h, 3 * h), active,
                                saved.Cells.Slice(row * h, h), saved.CellTanh.Slice(row * h, h));
                        }
                        else LstmKernels.ForwardStep<T>(gates.Slice(row * g4, g4), hiddenState, cellState, result.Slice(row * 3 * h, 3 * h), active, [], []);
                    }
                }
            }
        }
        catch
        {
            chunks?.WaitAll(); // nothing may still write into the buffers
            saved?.Release();
            throw;
        }
        finally
        {
            if (gateBuffer is not null) ArrayPool<T>.Shared.Return(gateBuffer);
        }
        return saved;

        // gate pre-activations of the steps of a chunk (in processing order), or of time steps [firstStep, firstStep + stepCount)
        void ProjectChunk(int chunk)
        {
            var (first, count) = chunks!.Range(chunk, steps);
            Project(reverse ? steps - first - count : first, count);
        }

        void Project(int firstStep, int stepCount)
        {
            var gates = (saved is null ? gateBuffer.AsSpan(0, steps * batch * g4) : saved.Gates).Slice(firstStep * batch * g4, stepCount * batch * g4);
            if (biasSum is not null)
                for (int row = 0; row < stepCount * batch; row++) biasSum.CopyTo(gates.Slice(row * g4, g4));
            Gemm.Multiply<T>(input.Span<T>().Slice(firstStep * batch * inputSize, stepCount * batch * inputSize), false, weightIh.Span<T>(), true,
                gates, stepCount * batch, g4, inputSize, accumulate: biasSum is not null);
        }
    }

    private static Tensor?[] Backward<T>(Saved<T> saved, Tensor outputGradient, Tensor input, Tensor weightIh, Tensor weightHh, bool hasBias,
        bool reverse, int[]? lengths, int steps, int batch, int inputSize, int hiddenSize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize, g4 = 4 * hiddenSize;
        var (parts, rowsPerPart) = RowBlocks(batch, h);
        using var recurrent = new RecurrentProduct<T>(weightHh.Span<T>(), transposeB: false, k: g4, n: h, rows: rowsPerPart); // W_hh, laid out once for all steps
        // pooled (it dies with this call); every row is written, zeros for inactive steps
        var gateGradientBuffer = ArrayPool<T>.Shared.Rent(steps * batch * g4);
        var carriedHidden = new T[batch * h];   // dE/d(hidden state after the step being processed), from later steps
        var carriedCell = new T[batch * h];
        var previousHiddenGradient = lengths is null ? null : new T[batch * h];
        Tensor? inputGradient = input.RequiresGrad ? Tensor.Empty(input.Shape, input.DType) : null;
        Tensor? weightIhGradient = weightIh.RequiresGrad ? Tensor.Empty(weightIh.Shape, input.DType) : null;
        Tensor? weightHhGradient = weightHh.RequiresGrad ? Tensor.Empty(weightHh.Shape, input.DType) : null;
        Tensor? biasGradient = hasBias ? Tensor.Zeros(new Shape(g4), input.DType) : null;
        // a single-threaded recurrence hands the gate gradients of each finished chunk of steps to another core for the products
        StepChunks? chunks = null;
        chunks = StepChunks.For(steps, parts, chunk =>
        {
            var (first, count) = chunks!.Range(chunk, steps);
            Products(reverse ? first : steps - first - count, count, accumulate: chunk > 0);
        });
        try
        {
            if (parts == 1) RunRows(0, batch, parallelProducts: true);
            else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));
            if (chunks is null) Products(0, steps, accumulate: false);
            else chunks.WaitAll();

            // the whole backward recurrence for sequences [first, first + count) of the batch
            void RunRows(int first, int count, bool parallelProducts)
            {
                ReadOnlySpan<T> grad = outputGradient.Span<T>();
                var gateGradients = gateGradientBuffer.AsSpan(0, steps * batch * g4);
                Span<T> gates = saved.Gates, cellTanh = saved.CellTanh, previousCell = saved.PreviousCell;
                for (int k = steps - 1; k >= 0; k--)
                {
                    int t = reverse ? steps - 1 - k : k, stepRow = t * batch + first;
                    for (int b = first; b < first + count; b++)
                    {
                        int row = t * batch + b;
                        LstmKernels.BackwardStep<T>(gates.Slice(row * g4, g4), cellTanh.Slice(row * h, h), previousCell.Slice(row * h, h),
                            grad.Slice(row * 3 * h, 3 * h), carriedHidden.AsSpan(b * h, h), carriedCell.AsSpan(b * h, h),
                            gateGradients.Slice(row * g4, g4), active: lengths is null || t < lengths[b]);
                    }
                    // carried hidden gradient: dGates W_hh for active rows, unchanged (the state passed through) for inactive ones
                    if (previousHiddenGradient is null)
                        recurrent.Multiply(gateGradients.Slice(stepRow * g4, count * g4), carriedHidden.AsSpan(first * h, count * h),
                            count, accumulate: false, parallel: parallelProducts);
                    else
                    {
                        recurrent.Multiply(gateGradients.Slice(stepRow * g4, count * g4), previousHiddenGradient.AsSpan(first * h, count * h),
                            count, accumulate: false, parallel: parallelProducts);
                        for (int b = first; b < first + count; b++)
                            if (t < lengths![b])
                                previousHiddenGradient.AsSpan(b * h, h).CopyTo(carriedHidden.AsSpan(b * h, h));
                    }
                    int processed = steps - k; // steps done, in processing order
                    if (chunks is not null && (processed % chunks.StepsPerChunk == 0 || processed == steps))
                        chunks.Complete((processed - 1) / chunks.StepsPerChunk);
                }
            }

            var hiddenGradient = new Tensor(carriedHidden, new Shape(batch, h));
            var cellGradient = new Tensor(carriedCell, new Shape(batch, h));
            return hasBias
                ? [inputGradient, hiddenGradient, cellGradient, weightIhGradient, weightHhGradient, biasGradient, biasGradient?.Clone()]
                : [inputGradient, hiddenGradient, cellGradient, weightIhGradient, weightHhGradient];
        }
        catch
        {
            chunks?.WaitAll(); // nothing may still read the pooled buffer
            throw;
        }
        finally { ArrayPool<T>.Shared.Return(gateGradientBuffer); }

        // the products over time steps [firstStep, firstStep + stepCount), whose gate gradients are final: dx rows, and dW_ih, dW_hh
        // and the bias gradient, overwritten or (accumulate) added to
        void Products(int firstStep, int stepCount, bool accumulate)
        {
            int firstRow = firstStep * batch, rows = stepCount * batch;
            ReadOnlySpan<T> gateGradients = gateGradientBuffer.AsSpan(firstRow * g4, rows * g4);
            if (inputGradient is not null)
                Gemm.Multiply<T>(gateGradients, false, weightIh.Span<T>(), false, inputGradient.Span<T>().Slice(firstRow * inputSize, rows * inputSize),
                    rows, inputSize, g4, accumulate: false);
            if (weightIhGradient is not null)
                Gemm.Multiply<T>(gateGradients, true, input.Span<T>().Slice(firstRow * inputSize, rows * inputSize), false, weightIhGradient.Span<T>(),
                    g4, inputSize, rows, accumulate);
            if (weightHhGradient is not null)
                Gemm.Multiply<T>(gateGradients, true, saved.PreviousHidden.Slice(firstRow * h, rows * h), false, weightHhGradient.Span<T>(),
                    g4, h, rows, accumulate);
            if (biasGradient is not null)
            {
                var sums = biasGradient.Span<T>();
                for (int row = 0; row < rows; row++) TensorPrimitives.Add<T>(sums, gateGradients.Slice(row * g4, g4), sums);
            }
        }
    }

    /// <summary>
    /// How the batch is split over the cores: the sequences of a batch are independent, so each thread can run the whole recurrence
    /// for a block of rows (one fork per sequence instead of one per step); the GRU (3 gates) shares it. Splits when the per-step product h W_hhᵀ has at least
    /// <see cref="ParallelRowsThreshold"/> multiply-adds.
    /// </summary>
    internal static (int Parts, int RowsPerPart) RowBlocks(int batch, int hiddenSize, int gates = 4)
    {
        if (batch <= 0) return (0, 1); // no rows: no part (the ops return before running an empty batch)
        long work = (long)batch * hiddenSize * gates * hiddenSize;
        int parts = work >= ParallelRowsThreshold ? Math.Min(batch, Gemm.MaxParallelism) : 1;
        int rowsPerPart = (batch + parts - 1) / parts;
        return ((batch + rowsPerPart - 1) / rowsPerPart, rowsPerPart);
    }

    /// <summary>
    /// Blocks of hidden units the forward without recording (<see cref="LstmInference"/>) is split into: one per core when the per-step
    /// product has at least <see cref="ParallelRowsThreshold"/> multiply-adds and each block gets at least a vector of units; otherwise 1
    /// (the step loop below, on one thread, with the projections computed beside it).
    /// </summary>
    internal static int InferenceBlocks<T>(int batch, int hiddenSize) where T : unmanaged
    {
        long work = (long)batch * hiddenSize * 4 * hiddenSize;
        int lanes = System.Numerics.Vector<T>.Count;
        return SplitInferenceByUnits && work >= ParallelRowsThreshold && Gemm.MaxParallelism > 1 && hiddenSize >= 2 * lanes ? Gemm.MaxParallelism : 1;
    }

    /// <summary>Whether the forward without recording may split the hidden units over the cores (<see cref="LstmInference"/>); off, it
    /// takes the recording path's step loop (benchmarks compare the two).</summary>
    internal static bool SplitInferenceByUnits = true;

    /// <summary>Multiply-adds of the per-step product from which the batch is split over the cores.</summary>
    internal static long ParallelRowsThreshold = 1L << 20;

    private static (int Steps, int Batch, int InputSize, int HiddenSize) CheckShapes(Tensor input, Tensor hidden, Tensor cell, Tensor weightIh,
        Tensor weightHh, Tensor? biasIh, Tensor? biasHh, int[]? lengths)
    {
        foreach (var tensor in new[] { hidden, cell, weightIh, weightHh, biasIh, biasHh }.OfType<Tensor>())
            Elementwise.RequireSameDType("lstm_sequence", input, tensor);
        if (input.Rank != 3) throw new ArgumentException($"lstm_sequence: input must be [T, B, I], got {input.Shape}");
        int steps = input.Shape[0], batch = input.Shape[1], inputSize = input.Shape[2];
        if (steps == 0) throw new ArgumentException($"lstm_sequence: expected a sequence length larger than 0, got input {input.Shape}");
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
