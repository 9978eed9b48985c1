using System.Buffers;
using System.Numerics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The forward of a four-gate cell whose pre-activations are one sum (the LSTM) when nothing is recorded, with the weights streamed as
/// gate panels (<see cref="GemmGatePanels"/>): per step, each hidden unit's four gate pre-activations W_hh h + W_ih x + b_ih + b_hh for a
/// tile of sequences come out of one register-blocked micro-kernel call, and the cell's kernel runs on them at once, from registers'
/// worth of scratch (no product buffer, no projection buffer). The input projections are not a separate GEMM: x joins h as the depth of
/// each step's product (the weights of a unit in both, 4 × (H + I), packed once per sequence), so the whole forward is T rounds of
/// streaming the packed weights once. The states are kept transposed (hᵀ, cᵀ: H × B padded to the tile, h alternating between two
/// buffers) and the input transposed once per sequence (xᵀ per step: I × B); the outputs are written per unit and sequence. The hidden
/// units are cut into blocks, one per core, ordered by <see cref="StepBlockSchedule"/> (workers started once per sequence, a spin barrier
/// per step); each block's panels are packed by the worker that runs its first step. A block's step runs unit by unit, each unit's panel
/// read once per step while the tiles of the state and input (tile-major: each a contiguous stream) pass over it; the gate math of a
/// full tile runs on both its vectors interleaved (<see cref="PairLanes{T}"/>). Not the default: on the idle Zen 3 the per-block products
/// of <see cref="UnitBlockInference{T, TCell}"/> measured faster; kept, tested against the recording path, for the phase harness to
/// compare on other machines.
/// </summary>
internal sealed unsafe class GatePanelInference<T, TCell> : IDisposable where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
{
    private readonly RecurrenceInputs inputs;
    private readonly InferenceTarget target;
    private readonly int steps, batch, h, inputSize, depth, tile, paddedBatch, width, blocks;
    private readonly T[] storage;
    private readonly int[] tileLengths; // per tile of sequences: the shortest length in it (T without lengths)
    private MemoryHandle pin;
    private T* panels, states, cells, transposedInput, bias;

    /// <summary>Whether the cell's forward can run on gate panels: four gates summed into one pre-activation each (the LSTM).</summary>
    public static bool Supports => TCell.Gates == GemmGatePanels.Gates && !TCell.SeparateHiddenProjection;

    /// <summary>
    /// Runs the sequence from the initial states (zeros when null) into <paramref name="target"/>, with the hidden units cut into (at most)
    /// <paramref name="blocks"/> blocks, on up to <see cref="Gemm.MaxParallelism"/> threads.
    /// </summary>
    public static void Run(RecurrenceInputs inputs, InferenceTarget target, int blocks)
    {
        if (!Supports) throw new NotSupportedException($"{TCell.Operation}: gate-panel inference needs four summed gates, not {TCell.Gates}");
        UnitBlockInference<T, TCell>.CheckArguments(inputs, target, blocks);
        using var run = new GatePanelInference<T, TCell>(inputs, target, blocks);
        run.Execute();
    }

    private GatePanelInference(RecurrenceInputs inputs, InferenceTarget target, int requestedBlocks)
    {
        (this.inputs, this.target) = (inputs, target);
        (steps, batch, h, inputSize) = (inputs.Steps, inputs.Batch, inputs.HiddenSize, inputs.InputSize);
        depth = h + inputSize;
        tile = GemmGatePanels.BatchTile<T>();
        paddedBatch = (batch + tile - 1) / tile * tile;
        width = (h + requestedBlocks - 1) / requestedBlocks;
        blocks = (h + width - 1) / width;
        tileLengths = new int[paddedBatch / tile];
        for (int b = 0; b < paddedBatch; b++)
        {
            int length = inputs.Lengths is null || b >= batch ? steps : inputs.Lengths[b];
            tileLengths[b / tile] = b % tile == 0 ? length : Math.Min(tileLengths[b / tile], length);
        }
        // one pooled array, 64-byte aligned parts: panels, two hidden states, the cell state, the transposed input, the biases
        long elements = (long)h * GemmGatePanels.Gates * depth + 3L * h * paddedBatch + (long)steps * inputSize * paddedBatch
                        + GemmGatePanels.Gates * h + 6 * 64 / sizeof(T);
        if (elements > Array.MaxLength) throw new ArgumentException($"{TCell.Operation} inference: {elements} elements of buffers is too many");
        storage = ArrayPool<T>.Shared.Rent((int)elements);
        pin = storage.AsMemory().Pin();
        T* free = (T*)pin.Pointer;
        panels = Take(ref free, (long)h * GemmGatePanels.Gates * depth);
        states = Take(ref free, 2L * h * paddedBatch);
        cells = Take(ref free, (long)h * paddedBatch);
        transposedInput = Take(ref free, (long)steps * inputSize * paddedBatch);
        bias = Take(ref free, GemmGatePanels.Gates * h);
    }

    /// <summary>The next 64-byte aligned part of <paramref name="count"/> elements from <paramref name="free"/> on.</summary>
    private static T* Take(ref T* free, long count)
    {
        T* part = (T*)(((nint)free + 63) & ~(nint)63);
        free = part + count;
        return part;
    }

    /// <summary>Unpins and returns the buffer.</summary>
    public void Dispose()
    {
        if (panels == null) return;
        panels = states = cells = transposedInput = bias = null;
        pin.Dispose();
        ArrayPool<T>.Shared.Return(storage);
    }

    private void Execute()
    {
        PrepareStates();
        TransposeInput();
        if (inputs.BiasIh is not null)
        {
            ReadOnlySpan<T> biasIh = inputs.BiasIh.Span<T>(), biasHh = inputs.BiasHh!.Span<T>();
            for (int u = 0; u < h; u++)
                for (int g = 0; g < GemmGatePanels.Gates; g++)
                    bias[u * GemmGatePanels.Gates + g] = biasIh[g * h + u] + biasHh[g * h + u];
        }
        new StepBlockSchedule(steps, blocks).Run(Math.Min(blocks, Gemm.MaxParallelism), RunBlock);
        // after the last step the hidden state is in the buffer that step wrote
        T* hidden = states + (steps & 1) * h * paddedBatch;
        if (target.FinalHidden is not null) Untranspose(hidden, target.FinalHidden.Span<T>().Slice(target.StateOffset, batch * h));
        if (target.FinalCell is not null) Untranspose(cells, target.FinalCell.Span<T>().Slice(target.StateOffset, batch * h));
    }

    /// <summary>
    /// Whether a block's step runs tile by tile with every unit inside (each tile of the transposed state and input stays in L1 while the
    /// weights stream by, once per tile) rather than unit by unit with every tile inside (each unit's panel read once, the state tiles
    /// from L2). Internal: the phase harness compares both.
    /// </summary>
    internal static bool UnitsInner { get; set; }

    /// <summary>hᵀ and cᵀ from the initial states (zeros when null), the padding lanes of both hidden buffers zero.</summary>
    private void PrepareStates()
    {
        new Span<T>(states, 2 * h * paddedBatch).Clear();
        new Span<T>(cells, h * paddedBatch).Clear();
        if (inputs.Hidden is not null) Transpose(inputs.Hidden.Span<T>(), states);
        if (inputs.Cell is not null) Transpose(inputs.Cell.Span<T>(), cells);
    }

    /// <summary>
    /// Element (unit or depth <paramref name="row"/>, sequence <paramref name="b"/>) of a transposed buffer of <paramref name="rows"/> rows:
    /// tile-major, each tile of sequences a contiguous rows × tile block, so the micro-kernel reads it as one stream.
    /// </summary>
    private nint TransposedIndex(int row, int b, int rows) => ((nint)(b / tile) * rows + row) * tile + b % tile;

    /// <summary>A state [B, H] into its transposed buffer.</summary>
    private void Transpose(ReadOnlySpan<T> state, T* transposed)
    {
        for (int b = 0; b < batch; b++)
        {
            var row = state.Slice(b * h, h);
            for (int j = 0; j < h; j++) transposed[TransposedIndex(j, b, h)] = row[j];
        }
    }

    /// <summary>A transposed state back into [B, H].</summary>
    private void Untranspose(T* transposed, Span<T> state)
    {
        for (int b = 0; b < batch; b++)
        {
            var row = state.Slice(b * h, h);
            for (int j = 0; j < h; j++) row[j] = transposed[TransposedIndex(j, b, h)];
        }
    }

    /// <summary>xᵀ of every step: step t's transposed I × padded B at t·I·padded B (padding lanes zero).</summary>
    private void TransposeInput()
    {
        ReadOnlySpan<T> x = inputs.Input.Span<T>();
        for (int t = 0; t < steps; t++)
        {
            T* step = transposedInput + (nint)t * inputSize * paddedBatch;
            if (paddedBatch != batch) new Span<T>(step, inputSize * paddedBatch).Clear();
            for (int b = 0; b < batch; b++)
            {
                var row = x.Slice((t * batch + b) * inputSize, inputSize);
                for (int p = 0; p < inputSize; p++) step[TransposedIndex(p, b, inputSize)] = row[p];
            }
        }
    }

    /// <summary>Step k (in processing order) of the units of one block, for every sequence; the block's panels are packed at its first step.</summary>
    private void RunBlock(int k, int block)
    {
        int first = block * width, count = Math.Min(width, h - first);
        if (k == 0)
            GemmGatePanels.Pack<T>(inputs.WeightHh.Span<T>(), inputs.WeightIh.Span<T>(), h, inputSize, first, count,
                new Span<T>(panels + (nint)first * GemmGatePanels.Gates * depth, count * GemmGatePanels.Gates * depth));
        var step = new Step
        {
            Time = inputs.TimeOf(k),
            Previous = states + (k & 1) * h * paddedBatch,
            Next = states + ((k + 1) & 1) * h * paddedBatch,
            Input = transposedInput + (nint)inputs.TimeOf(k) * inputSize * paddedBatch,
        };
        T* scratch = stackalloc T[GemmGatePanels.Gates * tile + 2 * tile];
        step.Sums = scratch;
        step.Lanes = scratch + GemmGatePanels.Gates * tile;
        step.KeptCell = step.Lanes + tile;
        int tiles = paddedBatch / tile;
        if (UnitsInner)
        {
            for (int q = 0; q < tiles; q++)
                for (int u = first; u < first + count; u++) RunTile(in step, u, q);
        }
        else
        {
            for (int u = first; u < first + count; u++)
                for (int q = 0; q < tiles; q++) RunTile(in step, u, q);
        }
    }

    /// <summary>The buffers of one step of one worker.</summary>
    private struct Step
    {
        public int Time;
        public T* Previous, Next, Input, Sums, Lanes, KeptCell;
    }

    /// <summary>Unit <paramref name="u"/>'s four pre-activations for tile <paramref name="q"/> of sequences, its gate math and its outputs.</summary>
    private void RunTile(in Step step, int u, int q)
    {
        int t = step.Time, b0 = q * tile;
        T* panel = panels + (nint)u * GemmGatePanels.Gates * depth;
        T* unitBias = inputs.BiasIh is null ? null : bias + u * GemmGatePanels.Gates;
        GemmGatePanels.Multiply(panel, step.Previous + (nint)q * h * tile, h, step.Input + (nint)q * inputSize * tile, inputSize, tile,
            unitBias, step.Sums);
        int active = Math.Min(tile, batch - b0);
        nint at = ((nint)q * h + u) * tile;
        bool allActive = t < tileLengths[q];
        if (!allActive) new Span<T>(cells + at, active).CopyTo(new Span<T>(step.KeptCell, active));
        var row = new CellForwardRow<T>
        {
            HiddenSize = tile, Width = active, Projection = new ReadOnlySpan<T>(step.Sums, GemmGatePanels.Gates * tile),
            PreviousHidden = new ReadOnlySpan<T>(step.Previous + at, active), NextHidden = new Span<T>(step.Next + at, active),
            Cell = new Span<T>(cells + at, active), Output = new Span<T>(step.Lanes, active),
        };
        if (active == tile) TCell.ForwardLanes<PairLanes<T>, T>(in row, 0); // the tile's two vectors interleaved
        else CellSteps.Forward<T, TCell>(ref row);
        Span<T> result = target.Output.Span<T>();
        for (int i = 0; i < active; i++)
        {
            int b = b0 + i;
            int index = (t * batch + b) * target.RowStride + target.Offset + u;
            if (!allActive && !inputs.IsActive(t, b))
            {
                step.Next[at + i] = step.Previous[at + i];
                cells[at + i] = step.KeptCell[i];
                result[index] = T.Zero;
            }
            else result[index] = step.Lanes[i];
            if (!target.StateRows) continue;
            result[index + h] = step.Next[at + i];
            result[index + 2 * h] = cells[at + i];
        }
    }
}
