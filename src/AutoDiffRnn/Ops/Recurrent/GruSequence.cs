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
/// Output [T, B, 2H]: per step the layer output, then the hidden state after the step. Built as <see cref="LstmSequenceOp"/> is (one
/// vectorized loop per step and sequence, <see cref="GruKernels"/>; chunks of products beside a single-threaded recurrence; pooled
/// saved buffers). First-order backward only.
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
        if (steps == 0) throw new ArgumentException($"gru_sequence: expected a sequence length larger than 0, got input {input.Shape}");
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
        if (batch == 0) return EmptyBatch.Record("gru_sequence", output, inputs);
        bool save = GradMode.IsEnabled && inputs.Any(tensor => tensor.RequiresGrad); // else the tape records nothing: keep no step buffers
        lengths = (int[]?)lengths?.Clone(); // the backward reads them later
        ISavedSteps? saved = input.DType == DType.Float32
            ? Forward<float>(input, hidden, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, h, save)
            : Forward<double>(input, hidden, weightIh, weightHh, biasIh, biasHh, reverse, lengths, output, steps, batch, inputSize, h, save);
        return Tape.Record("gru_sequence", output, inputs, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException("gru_sequence: the fused GRU has a first-order backward only; for gradients of gradients " +
                                                "use the composed path (RecurrentLayer.UseFusedKernels = false)");
            return input.DType == DType.Float32
                ? Backward<float>((Saved<float>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, lengths, steps, batch, inputSize, h)
                : Backward<double>((Saved<double>)saved!, g, input, weightIh, weightHh, biasIh is not null, reverse, lengths, steps, batch, inputSize, h);
        }, release: () => saved?.Release());
    }

    /// <summary>
    /// The saved step buffers in one pooled array (returned when the tape frees the node): per step and row, r, z, n (activated) in
    /// <c>Gates</c>, h_n = W_hn h + b_hn in <c>HiddenCandidate</c>, and the state before the step.
    /// </summary>
    private sealed class Saved<T>(int steps, int batch, int hiddenSize) : SavedSteps<T>(5, steps, batch, hiddenSize)
    {
        private readonly int h = hiddenSize;

        public Span<T> Gates => Part(0, 3 * h);
        public Span<T> HiddenCandidate => Part(3, h);
        public Span<T> PreviousHidden => Part(4, h);
    }

    /// <summary>Runs the sequence into <paramref name="output"/>; with <paramref name="save"/> keeps what the backward needs (else returns null).</summary>
    private static Saved<T>? Forward<T>(Tensor input, Tensor hidden0, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool reverse, int[]? lengths, Tensor output, int steps, int batch, int inputSize, int h, bool save) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g3 = 3 * h;
        var saved = save ? new Saved<T>(steps, batch, h) : null;
        // without save, only the input projections need a buffer (every element is written below)
        var gateBuffer = saved is null ? ArrayPool<T>.Shared.Rent(steps * batch * g3) : null;
        var (parts, rowsPerPart) = LstmSequenceOp.RowBlocks(batch, h, gates: 3);
        // a single-threaded recurrence overlaps with the input projections of the steps ahead, computed on another core
        StepChunks? chunks = null;
        chunks = StepChunks.For(steps, parts, chunk =>
        {
            var (first, count) = chunks!.Range(chunk, steps);
            Project(reverse ? steps - first - count : first, count);
        });
        try
        {
            if (chunks is null) Project(0, steps);
            else chunks.StartAll();
            var state = hidden0.Span<T>().ToArray();
            var fromHidden = new T[batch * g3];
            using var recurrent = new RecurrentProduct<T>(weightHh.Span<T>(), transposeB: true, k: h, n: g3, rows: rowsPerPart); // W_hhᵀ, laid out once for all steps
            var gateArray = gateBuffer;
            if (parts == 1) RunRows(0, batch, parallelProducts: true);
            else Parallel.For(0, parts, part => RunRows(part * rowsPerPart, Math.Min(batch, (part + 1) * rowsPerPart) - part * rowsPerPart, false));

            // the whole recurrence for sequences [first, first + count) of the batch
            void RunRows(int first, int count, bool parallelProducts)
            {
                var result = output.Span<T>();
                var gates = saved is null ? gateArray.AsSpan(0, steps * batch * g3) : saved.Gates;
                for (int k = 0; k < steps; k++)
                {
                    if (chunks is not null && k % chunks.StepsPerChunk == 0) chunks.WaitFor(k / chunks.StepsPerChunk);
                    int t = reverse ? steps - 1 - k : k;
                    if (biasHh is not null)
                    {
                        ReadOnlySpan<T> bias = biasHh.Span<T>();
                        for (int b = first; b < first + count; b++) bias.CopyTo(fromHidden.AsSpan(b * g3, g3));
                    }
                    recurrent.Multiply(state.AsSpan(first * h, count * h), fromHidden.AsSpan(first * g3, count * g3), count,
                        accumulate: biasHh is not null, parallel: parallelProducts);
                    for (int b = first; b < first + count; b++)
                    {
                        int row = t * batch + b;
                        bool active = lengths is null || t < lengths[b];
                        var previous = state.AsSpan(b * h, h);
                        if (saved is not null) previous.CopyTo(saved.PreviousHidden.Slice(row * h, h));
                        GruKernels.ForwardStep<T>(gates.Slice(row * g3, g3), fromHidden.AsSpan(b * g3, g3), previous, result.Slice(row * 2 * h, 2 * h),
                            active, saved is null ? [] : saved.HiddenCandidate.Slice(row * h, h));
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

        // the input projections (with b_ih) of time steps [firstStep, firstStep + stepCount)
        void Project(int firstStep, int stepCount)
        {
            var gates = (saved is null ? gateBuffer.AsSpan(0, steps * batch * g3) : saved.Gates).Slice(firstStep * batch * g3, stepCount * batch * g3);
            if (biasIh is not null)
            {
                ReadOnlySpan<T> bias = biasIh.Span<T>();
                for (int row = 0; row < stepCount * batch; row++) bias.CopyTo(gates.Slice(row * g3, g3));
            }
            Gemm.Multiply<T>(input.Span<T>().Slice(firstStep * batch * inputSize, stepCount * batch * inputSize), false, weightIh.Span<T>(), true,
                gates, stepCount * batch, g3, inputSize, accumulate: biasIh is not null);
        }
    }

    private static Tensor?[] Backward<T>(Saved<T> saved, Tensor outputGradient, Tensor input, Tensor weightIh, Tensor weightHh, bool hasBias,
        bool reverse, int[]? lengths, int steps, int batch, int inputSize, int h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g3 = 3 * h;
        var (parts, rowsPerPart) = LstmSequenceOp.RowBlocks(batch, h, gates: 3);
        using var recurrent = new RecurrentProduct<T>(weightHh.Span<T>(), transposeB: false, k: g3, n: h, rows: rowsPerPart); // W_hh, laid out once for all steps
        // pooled (they die with this call); every row is written, zeros for inactive steps
        var inputGateBuffer = ArrayPool<T>.Shared.Rent(steps * batch * g3);   // d(x_r, x_z, x_n)
        var hiddenGateBuffer = ArrayPool<T>.Shared.Rent(steps * batch * g3);  // d(h_r, h_z, h_n)
        var carried = new T[batch * h];
        Tensor? dX = input.RequiresGrad ? Tensor.Empty(input.Shape, input.DType) : null;
        Tensor? dWih = weightIh.RequiresGrad ? Tensor.Empty(weightIh.Shape, input.DType) : null;
        Tensor? dWhh = weightHh.RequiresGrad ? Tensor.Empty(weightHh.Shape, input.DType) : null;
        Tensor? dBih = hasBias ? Tensor.Zeros(new Shape(g3), input.DType) : null;
        Tensor? dBhh = hasBias ? Tensor.Zeros(new Shape(g3), input.DType) : null;
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
                var inputGateGradients = inputGateBuffer.AsSpan(0, steps * batch * g3);
                var hiddenGateGradients = hiddenGateBuffer.AsSpan(0, steps * batch * g3);
                Span<T> gates = saved.Gates, hiddenCandidate = saved.HiddenCandidate, previousHidden = saved.PreviousHidden;
                for (int k = steps - 1; k >= 0; k--)
                {
                    int t = reverse ? steps - 1 - k : k, stepRow = t * batch + first;
                    for (int b = first; b < first + count; b++)
                    {
                        int row = t * batch + b;
                        GruKernels.BackwardStep<T>(gates.Slice(row * g3, g3), hiddenCandidate.Slice(row * h, h), previousHidden.Slice(row * h, h),
                            grad.Slice(row * 2 * h, 2 * h), carried.AsSpan(b * h, h), inputGateGradients.Slice(row * g3, g3),
                            hiddenGateGradients.Slice(row * g3, g3), active: lengths is null || t < lengths[b]);
                    }
                    // + the path through W_hh (inactive rows have zero gradients there, so their carried gradient is unchanged)
                    recurrent.Multiply(hiddenGateGradients.Slice(stepRow * g3, count * g3), carried.AsSpan(first * h, count * h), count,
                        accumulate: true, parallel: parallelProducts);
                    int processed = steps - k; // steps done, in processing order
                    if (chunks is not null && (processed % chunks.StepsPerChunk == 0 || processed == steps))
                        chunks.Complete((processed - 1) / chunks.StepsPerChunk);
                }
            }

            var dHidden0 = new Tensor(carried, new Shape(batch, h));
            return hasBias ? [dX, dHidden0, dWih, dWhh, dBih, dBhh] : [dX, dHidden0, dWih, dWhh];
        }
        catch
        {
            chunks?.WaitAll(); // nothing may still read the pooled buffers
            throw;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(inputGateBuffer);
            ArrayPool<T>.Shared.Return(hiddenGateBuffer);
        }

        // the products over time steps [firstStep, firstStep + stepCount), whose gate gradients are final: dx rows, and dW_ih, dW_hh
        // and the bias gradients, overwritten or (accumulate) added to
        void Products(int firstStep, int stepCount, bool accumulate)
        {
            int firstRow = firstStep * batch, rows = stepCount * batch;
            ReadOnlySpan<T> inputGateGradients = inputGateBuffer.AsSpan(firstRow * g3, rows * g3);
            ReadOnlySpan<T> hiddenGateGradients = hiddenGateBuffer.AsSpan(firstRow * g3, rows * g3);
            if (dX is not null)
                Gemm.Multiply<T>(inputGateGradients, false, weightIh.Span<T>(), false, dX.Span<T>().Slice(firstRow * inputSize, rows * inputSize),
                    rows, inputSize, g3, accumulate: false);
            if (dWih is not null)
                Gemm.Multiply<T>(inputGateGradients, true, input.Span<T>().Slice(firstRow * inputSize, rows * inputSize), false, dWih.Span<T>(),
                    g3, inputSize, rows, accumulate);
            if (dWhh is not null)
                Gemm.Multiply<T>(hiddenGateGradients, true, saved.PreviousHidden.Slice(firstRow * h, rows * h), false, dWhh.Span<T>(),
                    g3, h, rows, accumulate);
            if (dBih is not null)
            {
                Span<T> inputSums = dBih.Span<T>(), hiddenSums = dBhh!.Span<T>();
                for (int row = 0; row < rows; row++)
                {
                    TensorPrimitives.Add<T>(inputSums, inputGateGradients.Slice(row * g3, g3), inputSums);
                    TensorPrimitives.Add<T>(hiddenSums, hiddenGateGradients.Slice(row * g3, g3), hiddenSums);
                }
            }
        }
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
