using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The forward of the fused recurrence driver for cell <typeparamref name="TCell"/>, into the op's output rows [T, B, (2 or 3)·H].
/// The input projections of all steps are one GEMM (<see cref="Project"/>); each step adds the recurrent product h W_hhᵀ
/// (<see cref="RecurrentProduct{T}"/>, W_hh laid out once per sequence) into the gate rows, or into a separate row for a cell whose
/// hidden projection stays apart, and runs the cell's kernel on each active sequence's row; an inactive step keeps the states and
/// writes [0 | h | c]. The batch is split over the cores in blocks of sequences (<see cref="RecurrenceSplit.RowBlocks"/>); a
/// single-threaded recurrence overlaps with the projections of the steps ahead (<see cref="StepChunks"/>). When nothing is recorded and
/// the step is large, the hidden units are split instead (<see cref="UnitBlockInference{T, TCell}"/>).
/// </summary>
internal sealed class FusedForward<T, TCell> where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
{
    private readonly RecurrenceInputs inputs;
    private readonly Tensor output;
    private readonly SavedSteps<T>? saved;
    private readonly T[]? gateBuffer;
    private readonly T[]? projectionBias; // b_ih (+ b_hh), pooled: the first G elements
    private readonly int steps, batch, h, g, rowWidth;
    private StepChunks? chunks;

    private FusedForward(RecurrenceInputs inputs, Tensor output, bool save)
    {
        (this.inputs, this.output) = (inputs, output);
        (steps, batch, h) = (inputs.Steps, inputs.Batch, inputs.HiddenSize);
        g = TCell.Gates * h;
        rowWidth = (TCell.HasCellState ? 3 : 2) * h;
        saved = save ? new SavedSteps<T>(TCell.Gates, TCell.SavedVectors, steps, batch, h) : null;
        gateBuffer = saved is null ? ArrayPool<T>.Shared.Rent(steps * batch * g) : null; // every element is written below
        if (inputs.BiasIh is not null)
        {
            projectionBias = ArrayPool<T>.Shared.Rent(g);
            var bias = projectionBias.AsSpan(0, g);
            inputs.BiasIh.Span<T>().CopyTo(bias);
            if (!TCell.SeparateHiddenProjection) TensorPrimitives.Add<T>(bias, inputs.BiasHh!.Span<T>(), bias);
        }
    }

    /// <summary>Runs the sequence into <paramref name="output"/>; with <paramref name="save"/> returns what the backward needs (else null).</summary>
    public static SavedSteps<T>? Run(RecurrenceInputs inputs, Tensor output, bool save)
    {
        int blocks = save ? 1 : RecurrenceSplit.InferenceBlocks<T>(inputs.Batch, inputs.HiddenSize, TCell.Gates);
        if (blocks > 1)
        {
            UnitBlockInference<T, TCell>.Run(inputs, InferenceTarget.SequenceRows(output, inputs.HiddenSize, TCell.HasCellState), blocks);
            return null;
        }
        return new FusedForward<T, TCell>(inputs, output, save).Run();
    }

    /// <summary>The forward without recording split by sequences, not by hidden units (the phase harness compares the two splits).</summary>
    internal static void RunSplitBySequences(RecurrenceInputs inputs, Tensor output) => new FusedForward<T, TCell>(inputs, output, save: false).Run();

    private Span<T> Gates => saved is null ? gateBuffer.AsSpan(0, steps * batch * g) : saved.Gates;

    private SavedSteps<T>? Run()
    {
        var (parts, rowsPerPart) = RecurrenceSplit.RowBlocks(batch, h, TCell.Gates);
        chunks = StepChunks.For(steps, parts, ProjectChunk);
        var states = ArrayPool<T>.Shared.Rent((TCell.HasCellState ? 2 : 1) * batch * h);
        var hiddenProjections = TCell.SeparateHiddenProjection ? ArrayPool<T>.Shared.Rent(batch * g) : null;
        try
        {
            if (chunks is null) Project(0, steps);
            else chunks.StartAll();
            inputs.Hidden!.Span<T>().CopyTo(states);
            if (TCell.HasCellState) inputs.Cell!.Span<T>().CopyTo(states.AsSpan(batch * h));
            using var recurrent = new RecurrentProduct<T>(inputs.WeightHh.Span<T>(), transposeB: true, k: h, n: g, rows: rowsPerPart);
            if (parts == 1) RunRows(0, batch, parallelProducts: true, states, hiddenProjections, recurrent);
            else ParallelParts.Run(parts, new SequenceBlocks(this, rowsPerPart, states, hiddenProjections, recurrent));
        }
        catch
        {
            chunks?.WaitAll(); // nothing may still write into the buffers
            saved?.Release();
            throw;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(states);
            if (hiddenProjections is not null) ArrayPool<T>.Shared.Return(hiddenProjections);
            if (gateBuffer is not null) ArrayPool<T>.Shared.Return(gateBuffer);
            if (projectionBias is not null) ArrayPool<T>.Shared.Return(projectionBias);
        }
        return saved;
    }

    /// <summary>The whole recurrence for sequences [first, first + count) of the batch.</summary>
    private void RunRows(int first, int count, bool parallelProducts, T[] states, T[]? hiddenProjections, RecurrentProduct<T> recurrent)
    {
        Span<T> result = output.Span<T>(), gates = Gates;
        Span<T> hiddenStates = states.AsSpan(0, batch * h), cellStates = TCell.HasCellState ? states.AsSpan(batch * h, batch * h) : [];
        for (int k = 0; k < steps; k++)
        {
            if (chunks is not null && k % chunks.StepsPerChunk == 0) chunks.WaitFor(k / chunks.StepsPerChunk);
            int t = inputs.TimeOf(k), stepRow = t * batch + first;
            var fromHidden = hiddenStates.Slice(first * h, count * h);
            if (hiddenProjections is null)
                recurrent.Multiply(fromHidden, gates.Slice(stepRow * g, count * g), count, accumulate: true, parallel: parallelProducts);
            else
            {
                var rows = hiddenProjections.AsSpan(first * g, count * g);
                if (inputs.BiasHh is not null)
                    for (int b = 0; b < count; b++) inputs.BiasHh.Span<T>().CopyTo(rows.Slice(b * g, g));
                recurrent.Multiply(fromHidden, rows, count, accumulate: inputs.BiasHh is not null, parallel: parallelProducts);
            }
            for (int b = first; b < first + count; b++)
            {
                int row = t * batch + b;
                var hidden = hiddenStates.Slice(b * h, h);
                var cell = TCell.HasCellState ? cellStates.Slice(b * h, h) : [];
                var outputRow = result.Slice(row * rowWidth, rowWidth);
                if (saved is not null) hidden.CopyTo(saved.PreviousHidden.Slice(row * h, h));
                if (!inputs.IsActive(t, b))
                {
                    InactiveStep.Forward<T>(hidden, cell, outputRow, h, stateOutputs: true);
                    continue;
                }
                var step = new CellForwardRow<T>
                {
                    HiddenSize = h, Width = h, Projection = gates.Slice(row * g, g), PreviousHidden = hidden, NextHidden = hidden, Cell = cell,
                    Output = outputRow, StateOutputs = true, RecurrentStride = h,
                    Recurrent = hiddenProjections is null ? [] : hiddenProjections.AsSpan(b * g, g),
                    ActivatedGates = saved is null ? [] : gates.Slice(row * g, g),
                    Saved = saved is null ? [] : saved.Cell.Slice(row * TCell.SavedVectors * h, TCell.SavedVectors * h),
                };
                CellSteps.Forward<T, TCell>(ref step);
            }
        }
    }

    /// <summary>Part p of the batch split: the whole recurrence for its block of sequences (the body of <see cref="ParallelParts"/>).</summary>
    private readonly struct SequenceBlocks(FusedForward<T, TCell> forward, int rowsPerPart, T[] states, T[]? hiddenProjections,
        RecurrentProduct<T> recurrent) : IParallelBody
    {
        public void Run(int part)
        {
            int first = part * rowsPerPart;
            forward.RunRows(first, Math.Min(forward.batch, first + rowsPerPart) - first, false, states, hiddenProjections, recurrent);
        }
    }

    private void ProjectChunk(int chunk)
    {
        var (first, count) = chunks!.Range(chunk, steps);
        Project(inputs.Reverse ? steps - first - count : first, count);
    }

    /// <summary>Gate pre-activations from the input, bias + x W_ihᵀ, of time steps [firstStep, firstStep + stepCount).</summary>
    private void Project(int firstStep, int stepCount)
    {
        int inputSize = inputs.InputSize;
        var gates = Gates.Slice(firstStep * batch * g, stepCount * batch * g);
        if (projectionBias is not null)
            for (int row = 0; row < stepCount * batch; row++) projectionBias.AsSpan(0, g).CopyTo(gates.Slice(row * g, g));
        Gemm.Multiply<T>(inputs.Input.Span<T>().Slice(firstStep * batch * inputSize, stepCount * batch * inputSize), false,
            inputs.WeightIh.Span<T>(), true, gates, stepCount * batch, g, inputSize, accumulate: projectionBias is not null);
    }
}
