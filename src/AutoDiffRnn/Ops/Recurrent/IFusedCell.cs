using System.Numerics;
using System.Runtime.CompilerServices;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// A recurrent cell as the fused recurrence driver (<see cref="FusedRecurrence"/>) runs it: a small description — the gate count, whether
/// it carries a cell state, how many hidden-size vectors it saves per step, how the recurrent product enters — and its two step kernels
/// for one sequence's row at an active step. Everything else (validation, lengths and inactive steps, the input projections as one GEMM,
/// the recurrent product h W_hhᵀ per step, the split over cores, pooled saved steps, dW_ih, dW_hh, dx and dh_prev as GEMMs, the tape)
/// belongs to the driver. Implemented by readonly structs: the driver is generic over the cell, so each cell compiles to its own
/// specialized, allocation-free loop.
/// </summary>
/// <remarks>
/// Per step, the driver gives the cell G chunks of H pre-activations from the input (x W_ihᵀ + b_ih, plus b_hh and h W_hhᵀ when
/// <see cref="SeparateHiddenProjection"/> is false), and for a cell with a separate hidden projection (GRU: r ⊙ (W_hn h + b_hn)) the
/// G chunks of h W_hhᵀ + b_hh apart. The op's output row per step is [layer output | h after the step | c after the step (LSTM)].
/// The backward kernel turns the output gradient row and the gradients carried from later steps into gate gradients; the driver then
/// adds (hidden gate gradients) W_hh to the carried hidden gradient, so the kernel leaves there only the direct path h → h' (zero for
/// LSTM and RNN, z for GRU).
/// </remarks>
internal interface IFusedCell
{
    /// <summary>The op's name on the tape and in error messages.</summary>
    static abstract string Operation { get; }

    /// <summary>Gates G: W_ih is [G·H, I], W_hh [G·H, H].</summary>
    static abstract int Gates { get; }

    /// <summary>Whether the cell carries a cell state c beside h (LSTM).</summary>
    static abstract bool HasCellState { get; }

    /// <summary>H-wide vectors the forward saves per step and row for the backward, beyond the activated gates and h_{t−1}.</summary>
    static abstract int SavedVectors { get; }

    /// <summary>Whether h W_hhᵀ + b_hh is kept apart from the input projection (GRU) instead of summed into it.</summary>
    static abstract bool SeparateHiddenProjection { get; }

    /// <summary>
    /// One step on tensor ops (the composed path, which records every primitive and so supports gradients of gradients):
    /// <paramref name="inputProjection"/> is x W_ihᵀ + b_ih; returns h' and (LSTM) c'.
    /// </summary>
    static abstract (Tensor Hidden, Tensor? Cell) Composed(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh);

    /// <summary>
    /// The forward of one active step for the lanes of units starting at <paramref name="j"/> of a block of one sequence (see
    /// <see cref="CellForwardRow{T}"/>); <see cref="CellSteps"/> runs it over the block's units.
    /// </summary>
    static abstract void ForwardLanes<TL, T>(scoped in CellForwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The backward of one active step for the lanes of units starting at <paramref name="j"/> (see <see cref="CellBackwardRow{T}"/>).</summary>
    static abstract void BackwardLanes<TL, T>(scoped in CellBackwardRow<T> row, nuint j)
        where TL : struct, ILanes<TL, T> where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The spans of one forward step for a block of w hidden units [first, first + w) of one sequence. Chunked spans hold G (or 3) chunks of
/// <see cref="HiddenSize"/> and start at the block's first unit, so chunk k of unit j is at k·H + j.
/// </summary>
internal ref struct CellForwardRow<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>H, the stride of the chunked spans.</summary>
    public int HiddenSize;

    /// <summary>Units in the block (w).</summary>
    public int Width;

    /// <summary>The gate pre-activations from the input (chunked).</summary>
    public ReadOnlySpan<T> Projection;

    /// <summary>The recurrent parts, chunk k at k·<see cref="RecurrentStride"/>; empty when already summed into <see cref="Projection"/>.</summary>
    public ReadOnlySpan<T> Recurrent;

    /// <summary>Chunk stride of <see cref="Recurrent"/>.</summary>
    public int RecurrentStride;

    /// <summary>h before the step (w).</summary>
    public ReadOnlySpan<T> PreviousHidden;

    /// <summary>Receives h after the step (w; may be <see cref="PreviousHidden"/>'s memory).</summary>
    public Span<T> NextHidden;

    /// <summary>The cell state, updated in place (w; LSTM only).</summary>
    public Span<T> Cell;

    /// <summary>The output row from the block's first unit: h' at j and, with <see cref="StateOutputs"/>, h' at H + j and c' at 2H + j.</summary>
    public Span<T> Output;

    /// <summary>Whether the output row also holds the states after the step.</summary>
    public bool StateOutputs;

    /// <summary>Receives the activated gates (chunked; may be <see cref="Projection"/>'s memory), or empty.</summary>
    public Span<T> ActivatedGates;

    /// <summary>Receives the cell's <see cref="IFusedCell.SavedVectors"/> chunks for the backward, or empty.</summary>
    public Span<T> Saved;

    /// <summary>Chunk <paramref name="gate"/> of <see cref="Projection"/> at unit <paramref name="j"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TL ProjectionOf<TL>(nuint gate, nuint j) where TL : struct, ILanes<TL, T> =>
        TL.Load(Projection, gate * (nuint)HiddenSize + j);

    /// <summary>Chunk <paramref name="gate"/> of <see cref="Recurrent"/> at unit <paramref name="j"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TL RecurrentOf<TL>(nuint gate, nuint j) where TL : struct, ILanes<TL, T> =>
        TL.Load(Recurrent, gate * (nuint)RecurrentStride + j);

    /// <summary>
    /// Gate <paramref name="gate"/>'s pre-activation at unit <paramref name="j"/>: its input projection plus its recurrent part, or the
    /// projection alone when the recurrent part is already summed into it (<see cref="Recurrent"/> empty).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TL PreActivation<TL>(nuint gate, nuint j) where TL : struct, ILanes<TL, T> =>
        Recurrent.IsEmpty ? ProjectionOf<TL>(gate, j) : ProjectionOf<TL>(gate, j) + RecurrentOf<TL>(gate, j);
}

/// <summary>The spans of the backward of one active step of one sequence (all hidden units; chunked as in <see cref="CellForwardRow{T}"/>).</summary>
internal ref struct CellBackwardRow<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>H.</summary>
    public int HiddenSize;

    /// <summary>The activated gates of the forward (G chunks).</summary>
    public ReadOnlySpan<T> Gates;

    /// <summary>What the forward saved (<see cref="IFusedCell.SavedVectors"/> chunks).</summary>
    public ReadOnlySpan<T> Saved;

    /// <summary>h before the step.</summary>
    public ReadOnlySpan<T> PreviousHidden;

    /// <summary>The gradient of the step's output row (layer output, h after, c after).</summary>
    public ReadOnlySpan<T> OutputGradient;

    /// <summary>In: dE/dh after the step from later steps. Out: the direct path to h before the step (the driver adds the W_hh path).</summary>
    public Span<T> CarriedHidden;

    /// <summary>In: dE/dc after the step from later steps; out: dE/dc before the step (LSTM only).</summary>
    public Span<T> CarriedCell;

    /// <summary>Receives the gradients of the input pre-activations (G chunks).</summary>
    public Span<T> InputGateGradients;

    /// <summary>Receives the gradients of the hidden projection (G chunks) when it is separate; else the same memory as <see cref="InputGateGradients"/>.</summary>
    public Span<T> HiddenGateGradients;
}

/// <summary>Runs a cell's lane kernels over the units of a row: whole vectors, then the scalar tail (<see cref="Lanes.ForEach{T, TLoop}"/>).</summary>
internal static class CellSteps
{
    /// <summary>The forward of one active step over the row's <see cref="CellForwardRow{T}.Width"/> units (two vectors at a time).</summary>
    public static void Forward<T, TCell>(scoped ref CellForwardRow<T> row) where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
    {
        var loop = new ForwardLoop<T, TCell> { Row = row };
        Lanes.ForEachPaired<T, ForwardLoop<T, TCell>>(row.Width, ref loop);
    }

    /// <summary>The backward of one active step over all H units.</summary>
    public static void Backward<T, TCell>(scoped ref CellBackwardRow<T> row) where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
    {
        var loop = new BackwardLoop<T, TCell> { Row = row };
        Lanes.ForEach<T, BackwardLoop<T, TCell>>(row.HiddenSize, ref loop);
    }

    private ref struct ForwardLoop<T, TCell> : ILaneLoop<T> where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
    {
        public CellForwardRow<T> Row;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TL>(nuint index) where TL : struct, ILanes<TL, T> => TCell.ForwardLanes<TL, T>(in Row, index);
    }

    private ref struct BackwardLoop<T, TCell> : ILaneLoop<T> where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
    {
        public CellBackwardRow<T> Row;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TL>(nuint index) where TL : struct, ILanes<TL, T> => TCell.BackwardLanes<TL, T>(in Row, index);
    }
}
