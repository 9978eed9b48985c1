using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The forward of the fused recurrence driver when nothing is recorded (inference), split over the cores by hidden units rather than by
/// sequences, for any cell. The input projections of all steps are one GEMM (x W_ihᵀ, with b_ih only for a cell whose hidden projection
/// stays apart). The hidden units are cut into blocks; for each block the rows of W_hh of its units in every gate are packed once per
/// sequence (<see cref="Gemm.Pack{T}"/>, by the worker that takes the block's first step), so a core re-reads only its own slice of the
/// recurrent weight at every step (half of W_hh on two cores, where the whole weight, read by each core when the batch is split, would
/// not stay in L2). Per step and block: the block's
/// biases (b_ih + b_hh, or b_hh alone for a separate hidden projection) are laid into its product buffer, h_{t−1} (all units) times the
/// block's packed weight is added to them, then the cell's kernel runs on the block's units straight from the products and the projections
/// (<see cref="IFusedCell.ForwardLanes{TL, T}"/> with a recurrent part), with no gate buffer written back. The hidden state alternates
/// between two buffers (a step reads one and writes the other); the steps are ordered by <see cref="StepBlockSchedule"/>, whose workers
/// start once per sequence (<see cref="ParallelParts"/>), and every buffer is taken once per sequence. (An LSTM path that streamed the
/// weights of each unit's four gates, W_hh and W_ih side by side, once per step with no projection GEMM measured slower on Zen 3 and was
/// removed: git history, "gate panels".)
/// </summary>
internal sealed class UnitBlockInference<T, TCell> : IDisposable where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
{
    private readonly RecurrenceInputs inputs;
    private readonly InferenceTarget target;
    private readonly int steps, batch, h, g, width, blocks;
    private readonly T[] projections, states, cells, products, blockBiases;
    private readonly PackedMatrix<T>?[] packed;
    private readonly bool biased;

    /// <summary>
    /// Runs the sequence from the initial states (zeros when null) into <paramref name="target"/>, with the hidden units cut into (at most)
    /// <paramref name="blocks"/> blocks of whole vectors, on up to <see cref="Gemm.MaxParallelism"/> threads.
    /// </summary>
    public static void Run(RecurrenceInputs inputs, InferenceTarget target, int blocks)
    {
        CheckArguments(inputs, target, blocks);
        using var run = new UnitBlockInference<T, TCell>(inputs, target, blocks);
        run.Execute();
    }

    /// <summary>Checks that <paramref name="target"/> fits the inputs and that <paramref name="blocks"/> is positive.</summary>
    private static void CheckArguments(RecurrenceInputs inputs, InferenceTarget target, int blocks)
    {
        target.Check(inputs.Steps, inputs.Batch, inputs.HiddenSize, TCell.HasCellState);
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks), $"{TCell.Operation} inference: blocks must be positive, got {blocks}");
    }

    private UnitBlockInference(RecurrenceInputs inputs, InferenceTarget target, int requestedBlocks)
    {
        (this.inputs, this.target) = (inputs, target);
        (steps, batch, h) = (inputs.Steps, inputs.Batch, inputs.HiddenSize);
        g = TCell.Gates * h;
        int lanes = Vector.IsHardwareAccelerated && Vector<T>.IsSupported ? Vector<T>.Count : 1;
        width = (h + requestedBlocks - 1) / requestedBlocks;
        width = Math.Min(h, (width + lanes - 1) / lanes * lanes);
        blocks = (h + width - 1) / width;
        biased = inputs.BiasIh is not null;
        projections = ArrayPool<T>.Shared.Rent(steps * batch * g);
        states = ArrayPool<T>.Shared.Rent(2 * batch * h); // the hidden state before and after the step, alternating
        cells = TCell.HasCellState ? ArrayPool<T>.Shared.Rent(batch * h) : [];
        products = ArrayPool<T>.Shared.Rent(blocks * batch * TCell.Gates * width); // block b's at b·B·G·w
        blockBiases = biased ? ArrayPool<T>.Shared.Rent(blocks * TCell.Gates * width) : [];
        packed = new PackedMatrix<T>?[blocks];
    }

    /// <summary>Frees the packed weights and returns the buffers.</summary>
    public void Dispose()
    {
        foreach (var matrix in packed) matrix?.Dispose();
        ArrayPool<T>.Shared.Return(projections);
        ArrayPool<T>.Shared.Return(states);
        ArrayPool<T>.Shared.Return(products);
        if (TCell.HasCellState) ArrayPool<T>.Shared.Return(cells);
        if (biased) ArrayPool<T>.Shared.Return(blockBiases);
    }

    private void Execute()
    {
        Project();
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

    /// <summary>
    /// x W_ihᵀ for every step; + b_ih only for a cell whose hidden projection stays apart (else every bias goes into the products).
    /// W_ih is packed first (<see cref="Gemm.Pack{T}"/>, for the kernel of this many rows): a packed operand keeps the whole depth in one
    /// block, so each element of the T·B × G·H result is written once, where the general product cuts a depth of more than its KC into
    /// blocks and reads and writes the result once per block (measured on Zen 3, one thread, T32 B64 I512 H512: 47 against 61 ms).
    /// </summary>
    private void Project()
    {
        int rows = steps * batch;
        Span<T> pre = projections.AsSpan(0, rows * g);
        bool withBias = biased && TCell.SeparateHiddenProjection;
        if (withBias)
            for (int row = 0; row < rows; row++) inputs.BiasIh!.Span<T>().CopyTo(pre.Slice(row * g, g));
        if (rows == 0 || inputs.InputSize == 0)
        {
            Gemm.Multiply<T>(inputs.Input.Span<T>(), false, inputs.WeightIh.Span<T>(), true, pre, rows, g, inputs.InputSize, accumulate: withBias);
            return;
        }
        using var weight = Gemm.Pack<T>(inputs.WeightIh.Span<T>(), transposeB: true, k: inputs.InputSize, n: g, rows: rows);
        Gemm.Multiply<T>(inputs.Input.Span<T>(), false, weight, pre, rows, accumulate: withBias);
    }

    /// <summary>
    /// The rows of W_hh of the block's units in every gate, packed as the right operand of h W_hhᵀ, and the biases the block's products
    /// start from: run by the worker that takes the block's first step, so the blocks are packed on every core at once (and each core's
    /// slice is packed where it is then read).
    /// </summary>
    private void PackBlock(int block)
    {
        int gates = TCell.Gates;
        int first = block * width, count = Math.Min(width, h - first);
        var gathered = ArrayPool<T>.Shared.Rent(gates * count * h);
        try
        {
            ReadOnlySpan<T> weight = inputs.WeightHh.Span<T>();
            for (int gate = 0; gate < gates; gate++)
                weight.Slice((gate * h + first) * h, count * h).CopyTo(gathered.AsSpan(gate * count * h, count * h));
            packed[block] = Gemm.Pack<T>(gathered.AsSpan(0, gates * count * h), transposeB: true, k: h, n: gates * count, rows: batch);
        }
        finally { ArrayPool<T>.Shared.Return(gathered); }
        if (!biased) return;
        var bias = blockBiases.AsSpan(block * gates * width, gates * count);
        for (int gate = 0; gate < gates; gate++)
        {
            var part = bias.Slice(gate * count, count);
            inputs.BiasHh!.Span<T>().Slice(gate * h + first, count).CopyTo(part);
            if (!TCell.SeparateHiddenProjection) TensorPrimitives.Add<T>(part, inputs.BiasIh!.Span<T>().Slice(gate * h + first, count), part);
        }
    }

    /// <summary>Step k (in processing order) of the units of one block, for every sequence.</summary>
    private void RunBlock(int k, int block)
    {
        if (k == 0) PackBlock(block); // the schedule runs step 0 of a block once, before any later step of any block
        int gates = TCell.Gates;
        int t = inputs.TimeOf(k);
        int first = block * width, count = Math.Min(width, h - first), rowLength = gates * count;
        var previous = states.AsSpan((k & 1) * batch * h, batch * h);
        var next = states.AsSpan(((k + 1) & 1) * batch * h, batch * h);
        var blockProducts = products.AsSpan(block * batch * gates * width, batch * rowLength);
        if (biased)
        {
            var bias = blockBiases.AsSpan(block * gates * width, rowLength);
            for (int b = 0; b < batch; b++) bias.CopyTo(blockProducts.Slice(b * rowLength, rowLength));
        }
        Gemm.Multiply<T>(previous, false, packed[block]!, blockProducts, batch, accumulate: biased, parallel: false);
        var result = target.Output.Span<T>();
        var projection = projections.AsSpan();
        int outputLength = target.StateRows ? (TCell.HasCellState ? 2 : 1) * h + count : count;
        for (int b = 0; b < batch; b++)
        {
            int row = t * batch + b;
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
                HiddenSize = h, Width = count, Projection = projection.Slice(row * g + first, g - first),
                Recurrent = blockProducts.Slice(b * rowLength, rowLength), RecurrentStride = count,
                PreviousHidden = previous.Slice(b * h + first, count), NextHidden = next.Slice(b * h + first, count),
                Cell = cell, Output = output, StateOutputs = target.StateRows,
            };
            CellSteps.Forward<T, TCell>(ref step);
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
