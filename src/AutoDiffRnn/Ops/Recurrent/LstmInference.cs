using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The forward of <see cref="LstmSequenceOp"/> when nothing is recorded (inference), split over the cores by hidden units rather than by
/// sequences. The input projections of all steps are one GEMM (with both biases). The hidden units are cut into blocks; for each block
/// the rows of W_hh of its four gates are packed once per sequence (<see cref="Gemm.Pack{T}"/>), so a core re-reads only its own slice of
/// the recurrent weight at every step (half of W_hh on two cores: for H = 256 that slice stays in L2, where the whole weight, read by
/// each core when the batch is split, does not). Per step and block: h_{t−1} (all units) times the block's packed weight into a small
/// per-thread buffer, then the gate math of the block's units (<see cref="LstmKernels.ForwardUnits{T}"/>) straight from the products and the
/// projections, with no gate buffer written back. The hidden state alternates between two buffers (a step reads one and writes the other),
/// and the steps are ordered by <see cref="StepBlockSchedule"/>. Same arithmetic, operation for operation, as the recording path.
/// </summary>
internal static class LstmInference
{
    /// <summary>
    /// Runs the sequence from the initial states (zeros when null) into <paramref name="target"/>, with the hidden units cut into (at most)
    /// <paramref name="blocks"/> blocks of whole vectors, on up to <see cref="Gemm.MaxParallelism"/> threads.
    /// </summary>
    public static void Run<T>(Tensor input, Tensor? hidden0, Tensor? cell0, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse, int[]? lengths, LstmInferenceTarget target, int blocks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = input.Shape[0], batch = input.Shape[1], inputSize = input.Shape[2], h = weightHh.Shape[1], g4 = 4 * h;
        target.Check(steps, batch, h);
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks), $"lstm inference: blocks must be positive, got {blocks}");
        int lanes = Vector.IsHardwareAccelerated && Vector<T>.IsSupported ? Vector<T>.Count : 1;
        int width = (h + blocks - 1) / blocks;
        width = Math.Min(h, (width + lanes - 1) / lanes * lanes);
        blocks = (h + width - 1) / width;
        int rows = steps * batch;
        var projections = ArrayPool<T>.Shared.Rent(rows * g4);
        var states = ArrayPool<T>.Shared.Rent(2 * batch * h); // the hidden state before and after the step, alternating
        var cells = ArrayPool<T>.Shared.Rent(batch * h);
        var packed = new PackedMatrix<T>?[blocks];
        try
        {
            Project(projections.AsSpan(0, rows * g4));
            PackBlocks();
            if (hidden0 is null) states.AsSpan(0, batch * h).Clear();
            else hidden0.Span<T>().CopyTo(states);
            if (cell0 is null) cells.AsSpan(0, batch * h).Clear();
            else cell0.Span<T>().CopyTo(cells);
            var schedule = new StepBlockSchedule(steps, blocks);
            schedule.Run(Math.Min(blocks, Gemm.MaxParallelism), RunBlock);
            // after the last step the state is in the buffer that step wrote
            if (target.FinalHidden is not null)
                states.AsSpan((steps & 1) * batch * h, batch * h).CopyTo(target.FinalHidden.Span<T>().Slice(target.StateOffset, batch * h));
            if (target.FinalCell is not null)
                cells.AsSpan(0, batch * h).CopyTo(target.FinalCell.Span<T>().Slice(target.StateOffset, batch * h));
        }
        finally
        {
            foreach (var matrix in packed) matrix?.Dispose();
            ArrayPool<T>.Shared.Return(projections);
            ArrayPool<T>.Shared.Return(states);
            ArrayPool<T>.Shared.Return(cells);
        }

        // gate pre-activations from the input, b_ih + b_hh + x W_ihᵀ, for every step
        void Project(Span<T> gates)
        {
            bool bias = biasIh is not null;
            if (bias)
            {
                Span<T> sum = gates[..g4];
                TensorPrimitives.Add<T>(biasIh!.Span<T>(), biasHh!.Span<T>(), sum);
                for (int row = 1; row < rows; row++) sum.CopyTo(gates.Slice(row * g4, g4));
            }
            Gemm.Multiply<T>(input.Span<T>(), false, weightIh.Span<T>(), true, gates, rows, g4, inputSize, accumulate: bias);
        }

        // for each block, the rows of W_hh of its units in the four gates (i, f, g, o), packed as the right operand of h W_hhᵀ
        void PackBlocks()
        {
            var gathered = ArrayPool<T>.Shared.Rent(4 * width * h);
            try
            {
                ReadOnlySpan<T> weight = weightHh.Span<T>();
                for (int block = 0; block < blocks; block++)
                {
                    int first = block * width, count = Math.Min(width, h - first);
                    for (int gate = 0; gate < 4; gate++)
                        weight.Slice((gate * h + first) * h, count * h).CopyTo(gathered.AsSpan(gate * count * h, count * h));
                    packed[block] = Gemm.Pack<T>(gathered.AsSpan(0, 4 * count * h), transposeB: true, k: h, n: 4 * count, rows: batch);
                }
            }
            finally { ArrayPool<T>.Shared.Return(gathered); }
        }

        // step k (in processing order) of the units of one block, for every sequence
        void RunBlock(int k, int block)
        {
            int t = reverse ? steps - 1 - k : k;
            int first = block * width, count = Math.Min(width, h - first);
            var previous = states.AsSpan((k & 1) * batch * h, batch * h);
            var next = states.AsSpan(((k + 1) & 1) * batch * h, batch * h);
            var products = ArrayPool<T>.Shared.Rent(batch * 4 * count);
            try
            {
                Gemm.Multiply<T>(previous, false, packed[block]!, products, batch, accumulate: false, parallel: false);
                var result = target.Output.Span<T>();
                for (int b = 0; b < batch; b++)
                {
                    int row = t * batch + b;
                    var outputUnits = result.Slice(row * target.RowStride + target.Offset + first, count);
                    var nextUnits = next.Slice(b * h + first, count);
                    var cellUnits = cells.AsSpan(b * h + first, count);
                    LstmKernels.ForwardUnits<T>(projections.AsSpan(row * g4, g4), products.AsSpan(b * 4 * count, 4 * count), first,
                        previous.Slice(b * h + first, count), nextUnits, cellUnits, outputUnits, active: lengths is null || t < lengths[b]);
                    if (target.StateRows)
                    {
                        nextUnits.CopyTo(result.Slice(row * target.RowStride + target.Offset + h + first, count));
                        cellUnits.CopyTo(result.Slice(row * target.RowStride + target.Offset + 2 * h + first, count));
                    }
                }
            }
            finally { ArrayPool<T>.Shared.Return(products); }
        }
    }
}

/// <summary>
/// Where <see cref="LstmInference"/> writes. Per step t and sequence b, the output row t·B + b of <see cref="Output"/> (row length
/// <see cref="RowStride"/>) gets h' at [<see cref="Offset"/>, <see cref="Offset"/> + H), and with <see cref="StateRows"/> also the hidden
/// and cell states after the step at + H and + 2H (the [T, B, 3H] rows of <c>lstm_sequence</c>). The states after the last step go to
/// <see cref="FinalHidden"/> and <see cref="FinalCell"/> (when given) at element <see cref="StateOffset"/>.
/// </summary>
internal readonly record struct LstmInferenceTarget(Tensor Output, int RowStride, int Offset, bool StateRows, Tensor? FinalHidden = null,
    Tensor? FinalCell = null, int StateOffset = 0)
{
    /// <summary>The rows of <c>lstm_sequence</c>'s output [T, B, 3H].</summary>
    public static LstmInferenceTarget SequenceRows(Tensor output, int hiddenSize) => new(output, 3 * hiddenSize, 0, StateRows: true);

    /// <summary>Throws unless every write fits.</summary>
    public void Check(int steps, int batch, int hiddenSize)
    {
        int written = Offset + (StateRows ? 3 : 1) * hiddenSize;
        long stateEnd = StateOffset + (long)batch * hiddenSize;
        if (Offset < 0 || written > RowStride || Output.Shape.ElementCount != (long)steps * batch * RowStride
            || (FinalHidden is not null && (StateOffset < 0 || FinalHidden.Shape.ElementCount < stateEnd))
            || (FinalCell is not null && (StateOffset < 0 || FinalCell.Shape.ElementCount < stateEnd)))
            throw new ArgumentException($"lstm inference: output {Output.Shape} (rows of {RowStride} from {Offset}) or final states " +
                                        $"at {StateOffset} do not fit {steps} steps of {batch} sequences of {hiddenSize} units");
    }
}
