using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The forward of the fused recurrence driver when nothing is recorded (inference), split over the cores by hidden units rather than by
/// sequences, for any cell. The input projections of all steps are one GEMM (with b_ih, and b_hh unless the cell keeps its hidden
/// projection apart). The hidden units are cut into blocks; for each block the rows of W_hh of its units in every gate are packed once
/// per sequence (<see cref="Gemm.Pack{T}"/>), so a core re-reads only its own slice of the recurrent weight at every step (half of W_hh on
/// two cores: for H = 256 that slice stays in L2, where the whole weight, read by each core when the batch is split, does not). Per step
/// and block: h_{t−1} (all units) times the block's packed weight into a small per-thread buffer, then the cell's kernel on the block's
/// units straight from the products and the projections (<see cref="IFusedCell.ForwardLanes{TL, T}"/> with a recurrent part), with no gate buffer
/// written back. The hidden state alternates between two buffers (a step reads one and writes the other), and the steps are ordered by
/// <see cref="StepBlockSchedule"/>.
/// </summary>
internal static class UnitBlockInference<T, TCell> where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
{
    /// <summary>
    /// Runs the sequence from the initial states (zeros when null) into <paramref name="target"/>, with the hidden units cut into (at most)
    /// <paramref name="blocks"/> blocks of whole vectors, on up to <see cref="Gemm.MaxParallelism"/> threads.
    /// </summary>
    public static void Run(RecurrenceInputs inputs, InferenceTarget target, int blocks)
    {
        int steps = inputs.Steps, batch = inputs.Batch, h = inputs.HiddenSize, gates = TCell.Gates, g = gates * h;
        target.Check(steps, batch, h, TCell.HasCellState);
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks), $"{TCell.Operation} inference: blocks must be positive, got {blocks}");
        int lanes = Vector.IsHardwareAccelerated && Vector<T>.IsSupported ? Vector<T>.Count : 1;
        int width = (h + blocks - 1) / blocks;
        width = Math.Min(h, (width + lanes - 1) / lanes * lanes);
        blocks = (h + width - 1) / width;
        int rows = steps * batch;
        var projections = ArrayPool<T>.Shared.Rent(rows * g);
        var states = ArrayPool<T>.Shared.Rent(2 * batch * h); // the hidden state before and after the step, alternating
        var cells = TCell.HasCellState ? ArrayPool<T>.Shared.Rent(batch * h) : [];
        var packed = new PackedMatrix<T>?[blocks];
        try
        {
            Project(projections.AsSpan(0, rows * g));
            PackBlocks();
            if (inputs.Hidden is null) states.AsSpan(0, batch * h).Clear();
            else inputs.Hidden.Span<T>().CopyTo(states);
            if (TCell.HasCellState)
            {
                if (inputs.Cell is null) cells.AsSpan(0, batch * h).Clear();
                else inputs.Cell.Span<T>().CopyTo(cells);
            }
            new StepBlockSchedule(steps, blocks).Run(Math.Min(blocks, Gemm.MaxParallelism), RunBlock);
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
            if (TCell.HasCellState) ArrayPool<T>.Shared.Return(cells);
        }

        // gate pre-activations from the input, bias + x W_ihᵀ, for every step
        void Project(Span<T> pre)
        {
            if (inputs.BiasIh is not null)
            {
                Span<T> sum = pre[..g];
                inputs.BiasIh.Span<T>().CopyTo(sum);
                if (!TCell.SeparateHiddenProjection) TensorPrimitives.Add<T>(sum, inputs.BiasHh!.Span<T>(), sum);
                for (int row = 1; row < rows; row++) sum.CopyTo(pre.Slice(row * g, g));
            }
            Gemm.Multiply<T>(inputs.Input.Span<T>(), false, inputs.WeightIh.Span<T>(), true, pre, rows, g, inputs.InputSize,
                accumulate: inputs.BiasIh is not null);
        }

        // for each block, the rows of W_hh of its units in every gate, packed as the right operand of h W_hhᵀ
        void PackBlocks()
        {
            var gathered = ArrayPool<T>.Shared.Rent(gates * width * h);
            try
            {
                ReadOnlySpan<T> weight = inputs.WeightHh.Span<T>();
                for (int block = 0; block < blocks; block++)
                {
                    int first = block * width, count = Math.Min(width, h - first);
                    for (int gate = 0; gate < gates; gate++)
                        weight.Slice((gate * h + first) * h, count * h).CopyTo(gathered.AsSpan(gate * count * h, count * h));
                    packed[block] = Gemm.Pack<T>(gathered.AsSpan(0, gates * count * h), transposeB: true, k: h, n: gates * count, rows: batch);
                }
            }
            finally { ArrayPool<T>.Shared.Return(gathered); }
        }

        // step k (in processing order) of the units of one block, for every sequence
        void RunBlock(int k, int block)
        {
            int t = inputs.TimeOf(k);
            int first = block * width, count = Math.Min(width, h - first);
            var previous = states.AsSpan((k & 1) * batch * h, batch * h);
            var next = states.AsSpan(((k + 1) & 1) * batch * h, batch * h);
            var products = ArrayPool<T>.Shared.Rent(batch * gates * count);
            try
            {
                Gemm.Multiply<T>(previous, false, packed[block]!, products, batch, accumulate: false, parallel: false);
                var result = target.Output.Span<T>();
                int outputLength = target.StateRows ? (TCell.HasCellState ? 2 : 1) * h + count : count;
                for (int b = 0; b < batch; b++)
                {
                    int row = t * batch + b;
                    var recurrent = products.AsSpan(b * gates * count, gates * count);
                    if (TCell.SeparateHiddenProjection && inputs.BiasHh is not null)
                        for (int gate = 0; gate < gates; gate++)
                        {
                            var part = recurrent.Slice(gate * count, count);
                            TensorPrimitives.Add<T>(part, inputs.BiasHh.Span<T>().Slice(gate * h + first, count), part);
                        }
                    var output = result.Slice(row * target.RowStride + target.Offset + first, outputLength);
                    var cell = TCell.HasCellState ? cells.AsSpan(b * h + first, count) : [];
                    if (!inputs.IsActive(t, b))
                    {
                        previous.Slice(b * h + first, count).CopyTo(next.Slice(b * h + first, count));
                        InactiveStep.Forward<T>(previous.Slice(b * h + first, count), cell, output, h, target.StateRows);
                        continue;
                    }
                    var step = new CellForwardRow<T>
                    {
                        HiddenSize = h, Width = count, Projection = projections.AsSpan(row * g + first, g - first), Recurrent = recurrent,
                        RecurrentStride = count, PreviousHidden = previous.Slice(b * h + first, count), NextHidden = next.Slice(b * h + first, count),
                        Cell = cell, Output = output, StateOutputs = target.StateRows,
                    };
                    CellSteps.Forward<T, TCell>(ref step);
                }
            }
            finally { ArrayPool<T>.Shared.Return(products); }
        }
    }
}

/// <summary>
/// Where <see cref="UnitBlockInference{T, TCell}"/> writes. Per step t and sequence b, the output row t·B + b of <see cref="Output"/> (row
/// length <see cref="RowStride"/>) gets h' at [<see cref="Offset"/>, <see cref="Offset"/> + H), and with <see cref="StateRows"/> also the
/// states after the step at + H and (with a cell state) + 2H (the rows of the fused ops' output). The states after the last step go to
/// <see cref="FinalHidden"/> and <see cref="FinalCell"/> (when given) at element <see cref="StateOffset"/>.
/// </summary>
internal readonly record struct InferenceTarget(Tensor Output, int RowStride, int Offset, bool StateRows, Tensor? FinalHidden = null,
    Tensor? FinalCell = null, int StateOffset = 0)
{
    /// <summary>The rows of a fused op's output [T, B, 2H] or, with a cell state, [T, B, 3H].</summary>
    public static InferenceTarget SequenceRows(Tensor output, int hiddenSize, bool cellState) =>
        new(output, (cellState ? 3 : 2) * hiddenSize, 0, StateRows: true);

    /// <summary>Throws unless every write fits.</summary>
    public void Check(int steps, int batch, int hiddenSize, bool cellState)
    {
        int written = Offset + (StateRows ? (cellState ? 3 : 2) : 1) * hiddenSize;
        long stateEnd = StateOffset + (long)batch * hiddenSize;
        if (Offset < 0 || written > RowStride || Output.Shape.ElementCount != (long)steps * batch * RowStride
            || (FinalHidden is not null && (StateOffset < 0 || FinalHidden.Shape.ElementCount < stateEnd))
            || (FinalCell is not null && (!cellState || StateOffset < 0 || FinalCell.Shape.ElementCount < stateEnd)))
            throw new ArgumentException($"recurrent inference: output {Output.Shape} (rows of {RowStride} from {Offset}) or final states " +
                                        $"at {StateOffset} do not fit {steps} steps of {batch} sequences of {hiddenSize} units");
    }
}
