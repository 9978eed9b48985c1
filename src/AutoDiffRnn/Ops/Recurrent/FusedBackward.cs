using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The backward of the fused recurrence driver for cell <typeparamref name="TCell"/>, in reverse processing order: the cell's kernel
/// turns each active row's output gradient and the carried gradients into gate gradients, kept for every step in one buffer (two when
/// the hidden projection is separate); per step the carried hidden gradient gets (hidden gate gradients) W_hh. dx, dW_ih, dW_hh and the
/// bias gradients are one GEMM (or sum) each over all steps (<see cref="Products"/>); with a single-threaded recurrence they run in chunks
/// of finished steps on another core (<see cref="StepChunks"/>).
/// </summary>
internal sealed class FusedBackward<T, TCell> where T : unmanaged, IFloatingPointIeee754<T> where TCell : struct, IFusedCell
{
    private readonly RecurrenceInputs inputs;
    private readonly SavedSteps<T> saved;
    private readonly Tensor outputGradient;
    private readonly int steps, batch, h, g, rowWidth;
    private readonly T[] inputGateBuffer, hiddenGateBuffer; // the same array unless the hidden projection is separate
    private readonly Tensor carriedHiddenTensor;
    private readonly Tensor? carriedCellTensor;
    private readonly T[] carriedHidden, carriedCell; // the storage of the two tensors above
    private readonly Tensor? inputGradient, weightIhGradient, weightHhGradient, biasIhGradient, biasHhGradient;
    private StepChunks? chunks;

    private FusedBackward(RecurrenceInputs inputs, SavedSteps<T> saved, Tensor outputGradient)
    {
        (this.inputs, this.saved, this.outputGradient) = (inputs, saved, outputGradient);
        (steps, batch, h) = (inputs.Steps, inputs.Batch, inputs.HiddenSize);
        g = TCell.Gates * h;
        rowWidth = (TCell.HasCellState ? 3 : 2) * h;
        // pooled (they die with this call); every row is written, zeros for inactive steps
        inputGateBuffer = ArrayPool<T>.Shared.Rent(steps * batch * g);
        hiddenGateBuffer = TCell.SeparateHiddenProjection ? ArrayPool<T>.Shared.Rent(steps * batch * g) : inputGateBuffer;
        var dtype = inputs.Input.DType;
        // dE/d(hidden and cell state after the step being processed), zeros to start with; in the end the initial states' gradients.
        // Pooled tensors: the backward pass hands them back once consumed (dropped at once for a zero initial state that needs none).
        carriedHiddenTensor = Tensor.Empty(new Shape(batch, h), dtype);
        carriedCellTensor = TCell.HasCellState ? Tensor.Empty(new Shape(batch, h), dtype) : null;
        carriedHidden = (T[])carriedHiddenTensor.Storage;
        carriedCell = carriedCellTensor is null ? [] : (T[])carriedCellTensor.Storage;
        inputGradient = inputs.Input.RequiresGrad ? Tensor.Empty(inputs.Input.Shape, dtype) : null;
        weightIhGradient = inputs.WeightIh.RequiresGrad ? Tensor.Empty(inputs.WeightIh.Shape, dtype) : null;
        weightHhGradient = inputs.WeightHh.RequiresGrad ? Tensor.Empty(inputs.WeightHh.Shape, dtype) : null;
        biasIhGradient = inputs.HasBias ? Tensor.Zeros(new Shape(g), dtype) : null;
        biasHhGradient = inputs.HasBias && TCell.SeparateHiddenProjection ? Tensor.Zeros(new Shape(g), dtype) : null;
    }

    /// <summary>The gradients of the op's inputs, in the order of <see cref="FusedRecurrence.Inputs"/>.</summary>
    public static Tensor?[] Run(RecurrenceInputs inputs, SavedSteps<T> saved, Tensor outputGradient) =>
        new FusedBackward<T, TCell>(inputs, saved, outputGradient).Run();

    private Tensor?[] Run()
    {
        var (parts, rowsPerPart) = RecurrenceSplit.RowBlocks(batch, h, TCell.Gates);
        chunks = StepChunks.For(steps, parts, chunk =>
        {
            var (first, count) = chunks!.Range(chunk, steps);
            Products(inputs.Reverse ? first : steps - first - count, count, accumulate: chunk > 0);
        });
        try
        {
            using var recurrent = new RecurrentProduct<T>(inputs.WeightHh.Span<T>(), transposeB: false, k: g, n: h, rows: rowsPerPart);
            if (parts == 1) RunRows(0, batch, parallelProducts: true, recurrent);
            else ParallelParts.Run(parts, new SequenceBlocks(this, rowsPerPart, recurrent));
            if (chunks is null) Products(0, steps, accumulate: false);
            else chunks.WaitAll();
        }
        catch
        {
            chunks?.WaitAll(); // nothing may still read the pooled buffers
            throw;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(inputGateBuffer);
            if (TCell.SeparateHiddenProjection) ArrayPool<T>.Shared.Return(hiddenGateBuffer);
        }
        var biasHh = biasHhGradient ?? biasIhGradient?.Clone();
        Tensor?[] states = TCell.HasCellState ? [carriedHiddenTensor, carriedCellTensor] : [carriedHiddenTensor];
        return [inputGradient, .. states, weightIhGradient, weightHhGradient, .. (inputs.HasBias ? new[] { biasIhGradient, biasHh } : [])];
    }

    /// <summary>The whole backward recurrence for sequences [first, first + count) of the batch.</summary>
    private void RunRows(int first, int count, bool parallelProducts, RecurrentProduct<T> recurrent)
    {
        ReadOnlySpan<T> grad = outputGradient.Span<T>();
        Span<T> inputGates = inputGateBuffer.AsSpan(0, steps * batch * g), hiddenGates = hiddenGateBuffer.AsSpan(0, steps * batch * g);
        Span<T> gates = saved.Gates, previousHidden = saved.PreviousHidden, cellSaved = saved.Cell;
        int savedWidth = TCell.SavedVectors * h;
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = inputs.TimeOf(k), stepRow = t * batch + first;
            for (int b = first; b < first + count; b++)
            {
                int row = t * batch + b;
                var carriedCellRow = TCell.HasCellState ? carriedCell.AsSpan(b * h, h) : [];
                if (!inputs.IsActive(t, b))
                {
                    InactiveStep.Backward<T>(grad.Slice(row * rowWidth, rowWidth), carriedHidden.AsSpan(b * h, h), carriedCellRow,
                        inputGates.Slice(row * g, g), hiddenGates.Slice(row * g, g));
                    continue;
                }
                var step = new CellBackwardRow<T>
                {
                    HiddenSize = h, Gates = gates.Slice(row * g, g), Saved = cellSaved.Slice(row * savedWidth, savedWidth),
                    PreviousHidden = previousHidden.Slice(row * h, h), OutputGradient = grad.Slice(row * rowWidth, rowWidth),
                    CarriedHidden = carriedHidden.AsSpan(b * h, h), CarriedCell = carriedCellRow,
                    InputGateGradients = inputGates.Slice(row * g, g), HiddenGateGradients = hiddenGates.Slice(row * g, g),
                };
                CellSteps.Backward<T, TCell>(ref step);
            }
            // + the path through W_hh (inactive rows have zero gate gradients, so their carried gradient passes unchanged)
            recurrent.Multiply(hiddenGates.Slice(stepRow * g, count * g), carriedHidden.AsSpan(first * h, count * h), count,
                accumulate: true, parallel: parallelProducts);
            int processed = steps - k; // steps done, in processing order
            if (chunks is not null && (processed % chunks.StepsPerChunk == 0 || processed == steps))
                chunks.Complete((processed - 1) / chunks.StepsPerChunk);
        }
    }

    /// <summary>Part p of the batch split: the whole backward recurrence for its block of sequences (the body of <see cref="ParallelParts"/>).</summary>
    private readonly struct SequenceBlocks(FusedBackward<T, TCell> backward, int rowsPerPart, RecurrentProduct<T> recurrent) : IParallelBody
    {
        public void Run(int part)
        {
            int first = part * rowsPerPart;
            backward.RunRows(first, Math.Min(backward.batch, first + rowsPerPart) - first, false, recurrent);
        }
    }

    /// <summary>
    /// The products over time steps [firstStep, firstStep + stepCount), whose gate gradients are final: dx rows, and dW_ih, dW_hh and the
    /// bias gradients, overwritten or (<paramref name="accumulate"/>) added to.
    /// </summary>
    private void Products(int firstStep, int stepCount, bool accumulate)
    {
        int firstRow = firstStep * batch, rows = stepCount * batch, inputSize = inputs.InputSize;
        ReadOnlySpan<T> inputGates = inputGateBuffer.AsSpan(firstRow * g, rows * g), hiddenGates = hiddenGateBuffer.AsSpan(firstRow * g, rows * g);
        if (inputGradient is not null)
            Gemm.Multiply<T>(inputGates, false, inputs.WeightIh.Span<T>(), false, inputGradient.Span<T>().Slice(firstRow * inputSize, rows * inputSize),
                rows, inputSize, g, accumulate: false);
        if (weightIhGradient is not null)
            Gemm.Multiply<T>(inputGates, true, inputs.Input.Span<T>().Slice(firstRow * inputSize, rows * inputSize), false,
                weightIhGradient.Span<T>(), g, inputSize, rows, accumulate);
        if (weightHhGradient is not null)
            Gemm.Multiply<T>(hiddenGates, true, saved.PreviousHidden.Slice(firstRow * h, rows * h), false, weightHhGradient.Span<T>(),
                g, h, rows, accumulate);
        SumRows(inputGates, biasIhGradient, rows);
        SumRows(hiddenGates, biasHhGradient, rows);
    }

    private void SumRows(ReadOnlySpan<T> gateGradients, Tensor? sums, int rows)
    {
        if (sums is null) return;
        var destination = sums.Span<T>();
        for (int row = 0; row < rows; row++) TensorPrimitives.Add<T>(destination, gateGradients.Slice(row * g, g), destination);
    }
}
