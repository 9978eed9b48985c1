using AutoDiffRnn.Autodiff;
namespace AutoDiffRnn.Nn;

/// <summary>The kind of recurrence a <see cref="RecurrentLayer"/> runs.</summary>
public enum RecurrentKind
{
    /// <summary>Elman RNN with tanh.</summary>
    RnnTanh,

    /// <summary>Elman RNN with relu.</summary>
    RnnRelu,

    /// <summary>Long short-term memory.</summary>
    Lstm,

    /// <summary>Gated recurrent unit.</summary>
    Gru,
}

/// <summary>
/// What a recurrent layer returns, as PyTorch's (output, h_n) or (output, (h_n, c_n)).
/// </summary>
/// <param name="Output">Every step's top-layer hidden state, directions concatenated: (T, B, D·H), or (B, T, D·H) with batchFirst;
/// zero at padded steps.</param>
/// <param name="Hidden">The final hidden state of every layer and direction: (L·D, B, H), ordered layer 0 forward, layer 0 reverse, layer 1 ...</param>
/// <param name="Cell">The final LSTM cell state (L·D, B, H), or null for RNN and GRU.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor Hidden, Tensor? Cell)
{
    /// <summary>
    /// The Keras-style "last output" for many-to-one models: the top layer's final hidden state of each sequence, (B, D·H) —
    /// for the forward direction the state at each sequence's own last step, for the reverse direction the state after step 0.
    /// </summary>
    public Tensor LastOutput(int directions) =>
        directions == 1
            ? Hidden.Select(0, Hidden.Shape[0] - 1)
            : Tensor.Concat([Hidden.Select(0, Hidden.Shape[0] - 2), Hidden.Select(0, Hidden.Shape[0] - 1)], 1);
}

/// <summary>
/// A multi-layer, optionally bidirectional recurrent layer over whole sequences, with PyTorch's semantics, shapes and parameter names
/// (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, with the suffix _reverse for the reverse direction).
/// Variable-length batches follow PyTorch's packed sequences: step t is active for sequence b iff t &lt; lengths[b], in both directions,
/// so each final state is taken at the sequence's own last step, the reverse direction starts at its last element, padded outputs are
/// zero and padded steps pass no gradient.
/// </summary>
public class RecurrentLayer : Module
{
    private readonly (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh)[] cells;
    private readonly Generator? dropoutGenerator;

    /// <summary>Creates the layer; see the properties for the meaning of each argument.</summary>
    public RecurrentLayer(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    {
        string name = kind switch { RecurrentKind.Lstm => "LSTM", RecurrentKind.Gru => "GRU", _ => "RNN" };
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentException($"{name}: input size, hidden size and layer count must be positive, got {inputSize}, {hiddenSize}, {numLayers}");
        if (dropout < 0 || dropout > 1)
            throw new ArgumentOutOfRangeException(nameof(dropout), $"{name}: dropout must be in [0, 1], got {dropout}");
        (Kind, InputSize, HiddenSize, NumLayers, HasBias, BatchFirst, DropoutProbability) = (kind, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);
        Directions = bidirectional ? 2 : 1;
        dropoutGenerator = generator;
        int gates = kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };
        double bound = 1 / Math.Sqrt(hiddenSize);
        cells = new (Tensor, Tensor, Tensor?, Tensor?)[numLayers * Directions];
        for (int layer = 0; layer < numLayers; layer++)
            for (int direction = 0; direction < Directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                int layerInput = layer == 0 ? inputSize : hiddenSize * Directions;
                cells[layer * Directions + direction] = (
                    RegisterParameter("weight_ih" + suffix, UniformInit(new Shape(gates * hiddenSize, layerInput), bound, dtype, generator)),
                    RegisterParameter("weight_hh" + suffix, UniformInit(new Shape(gates * hiddenSize, hiddenSize), bound, dtype, generator)),
                    bias ? RegisterParameter("bias_ih" + suffix, UniformInit(new Shape(gates * hiddenSize), bound, dtype, generator)) : null,
                    bias ? RegisterParameter("bias_hh" + suffix, UniformInit(new Shape(gates * hiddenSize), bound, dtype, generator)) : null);
            }
    }

    /// <summary>The recurrence.</summary>
    public RecurrentKind Kind { get; }

    /// <summary>The size of each input vector.</summary>
    public int InputSize { get; }

    /// <summary>The size of each direction's hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>The number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Whether the layers have biases.</summary>
    public bool HasBias { get; }

    /// <summary>Whether input and output are (B, T, ·) instead of (T, B, ·).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout applied to each layer's output except the last, in training mode.</summary>
    public double DropoutProbability { get; }

    private string Name => Kind switch { RecurrentKind.Lstm => "LSTM", RecurrentKind.Gru => "GRU", _ => "RNN" };

    /// <summary>
    /// Runs the layer over a sequence: input (T, B, I) or (B, T, I) with batchFirst; optional initial states (L·D, B, H)
    /// (zeros when null; the cell state only for LSTM); optional per-sequence lengths (each 1..T).
    /// </summary>
    public RecurrentOutput Forward(Tensor input, Tensor? initialHidden = null, Tensor? initialCell = null, int[]? lengths = null)
    {
        if (input.Rank != 3 || input.Shape[2] != InputSize)
            throw new ArgumentException($"{Name}: expected input ({(BatchFirst ? "batch, time" : "time, batch")}, {InputSize}), got {input.Shape}");
        var sequence = BatchFirst ? input.Transpose(0, 1) : input;
        int steps = sequence.Shape[0], batch = sequence.Shape[1];
        if (steps == 0)
            throw new ArgumentException($"{Name}: expected a sequence length larger than 0, got input {input.Shape}");
        var stateShape = new Shape(NumLayers * Directions, batch, HiddenSize);
        CheckState(initialHidden, stateShape, "initial hidden state");
        if (Kind == RecurrentKind.Lstm) CheckState(initialCell, stateShape, "initial cell state");
        else if (initialCell is not null) throw new ArgumentException($"{Name}: only an LSTM takes an initial cell state");
        var masks = lengths is null ? null : StepMasks(lengths, steps, batch, input.DType);
        if (UseFusedKernels && Kind is RecurrentKind.Lstm or RecurrentKind.Gru)
            return ForwardFused(sequence, initialHidden, initialCell, lengths, steps, batch);

        var finalHidden = new Tensor[NumLayers * Directions];
        var finalCell = new Tensor[NumLayers * Directions];
        // Work on one tensor per time step: selecting steps from a stacked tensor would make each step's backward
        // materialize a gradient of the whole sequence (quadratic in T).
        var layerInput = new Tensor[steps];
        for (int t = 0; t < steps; t++) layerInput[t] = sequence.Select(0, t);
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var directionOutputs = new Tensor[Directions][];
            for (int direction = 0; direction < Directions; direction++)
            {
                int index = layer * Directions + direction;
                var hidden = initialHidden?.Select(0, index) ?? Tensor.Zeros(new Shape(batch, HiddenSize), input.DType);
                var cell = Kind == RecurrentKind.Lstm ? initialCell?.Select(0, index) ?? Tensor.Zeros(new Shape(batch, HiddenSize), input.DType) : null;
                (directionOutputs[direction], finalHidden[index], finalCell[index]) =
                    RunDirection(layerInput, cells[index], hidden, cell, reverse: direction == 1, masks);
            }
            for (int t = 0; t < steps; t++)
            {
                var output = Directions == 1 ? directionOutputs[0][t] : Tensor.Concat([directionOutputs[0][t], directionOutputs[1][t]], 1);
                if (layer < NumLayers - 1 && DropoutProbability > 0)
                    output = output.Dropout(DropoutProbability, IsTraining, dropoutGenerator);
                layerInput[t] = output;
            }
        }
        var stacked = Tensor.Stack(layerInput, BatchFirst ? 1 : 0);
        return new RecurrentOutput(stacked, Tensor.Stack(finalHidden, 0), Kind == RecurrentKind.Lstm ? Tensor.Stack(finalCell, 0) : null);
    }

    /// <summary>
    /// Use the fused kernels (<see cref="Tensor.LstmSequence"/>, <see cref="Tensor.GruSequence"/>): one recorded op per layer and direction
    /// with a hand-written backward, several times faster than the composed path and equal to it to rounding. Their backward is first-order
    /// only, so leave it off for gradients of gradients. Off by default; applies to LSTMs and GRUs.
    /// </summary>
    public bool UseFusedKernels { get; set; }

    private RecurrentOutput ForwardFused(Tensor sequence, Tensor? initialHidden, Tensor? initialCell, int[]? lengths, int steps, int batch)
    {
        // without recording, split over the cores by hidden units once a step is worth it (small steps keep the single-threaded step loop,
        // whose row-vector products and projections computed beside the recurrence cost less than a split)
        if (Kind == RecurrentKind.Lstm && !GradMode.IsEnabled && batch > 0 && InferenceBlocks(sequence.DType, batch) > 1)
            return ForwardLstmInference(sequence, initialHidden, initialCell, lengths, steps, batch);
        var finalHidden = new Tensor[NumLayers * Directions];
        var finalCell = new Tensor[NumLayers * Directions];
        var layerInput = sequence;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var directionOutputs = new Tensor[Directions];
            var input = layerInput;
            int currentLayer = layer;
            void RunDirection(int direction)
            {
                int index = currentLayer * Directions + direction;
                var hidden = initialHidden?.Select(0, index) ?? Tensor.Zeros(new Shape(batch, HiddenSize), sequence.DType);
                var (weightIh, weightHh, biasIh, biasHh) = cells[index];
                bool reverse = direction == 1;
                var result = Kind == RecurrentKind.Lstm
                    ? Tensor.LstmSequence(input, hidden, initialCell?.Select(0, index) ?? Tensor.Zeros(new Shape(batch, HiddenSize), sequence.DType),
                        weightIh, weightHh, biasIh, biasHh, reverse, lengths)
                    : Tensor.GruSequence(input, hidden, weightIh, weightHh, biasIh, biasHh, reverse, lengths);
                directionOutputs[direction] = result.Narrow(2, 0, HiddenSize);
                var last = result.Select(0, reverse ? 0 : steps - 1); // the state after the last processed step
                finalHidden[index] = last.Narrow(1, HiddenSize, HiddenSize);
                if (Kind == RecurrentKind.Lstm) finalCell[index] = last.Narrow(1, 2 * HiddenSize, HiddenSize);
            }
            if (Directions == 1) RunDirection(0);
            else
            {
                // The two directions are independent: run them on two threads (the recording mode is per thread, so pass it on).
                bool recording = GradMode.IsEnabled;
                Parallel.For(0, Directions, direction =>
                {
                    using var mode = GradMode.Set(recording);
                    RunDirection(direction);
                });
            }
            layerInput = Directions == 1 ? directionOutputs[0] : Tensor.Concat(directionOutputs, 2);
            if (layer < NumLayers - 1 && DropoutProbability > 0)
                layerInput = layerInput.Dropout(DropoutProbability, IsTraining, dropoutGenerator);
        }
        var output = BatchFirst ? layerInput.Transpose(0, 1) : layerInput;
        return new RecurrentOutput(output, Tensor.Stack(finalHidden, 0), Kind == RecurrentKind.Lstm ? Tensor.Stack(finalCell, 0) : null);
    }

    /// <summary>
    /// The fused LSTM when nothing is recorded: each layer and direction runs <see cref="LstmInference"/>, which writes its hidden states
    /// straight into the layer's output [T, B, D·H] (at its direction's columns) and its final states into h_n and c_n, so no per-step
    /// state rows, slices or concatenations are built. The two directions of a bidirectional layer run side by side, each on its share of
    /// the cores.
    /// </summary>
    private RecurrentOutput ForwardLstmInference(Tensor sequence, Tensor? initialHidden, Tensor? initialCell, int[]? lengths, int steps, int batch)
    {
        var stateShape = new Shape(NumLayers * Directions, batch, HiddenSize);
        var finalHidden = Tensor.Empty(stateShape, sequence.DType);
        var finalCell = Tensor.Empty(stateShape, sequence.DType);
        bool float32 = sequence.DType == DType.Float32;
        int blocks = InferenceBlocks(sequence.DType, batch);
        bool directionsSideBySide = Directions > 1 && Kernels.Gemm.MaxParallelism > 1;
        if (directionsSideBySide) blocks = Math.Max(1, blocks / Directions);
        var layerInput = sequence;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            // every element is written (padded steps get zeros), so the storage need not be cleared first
            var outputShape = new Shape(steps, batch, Directions * HiddenSize);
            var layerOutput = new Tensor(float32 ? GC.AllocateUninitializedArray<float>(outputShape.ElementCount)
                : GC.AllocateUninitializedArray<double>(outputShape.ElementCount), outputShape);
            var input = layerInput;
            int currentLayer = layer;
            void RunDirection(int direction)
            {
                int index = currentLayer * Directions + direction;
                var (weightIh, weightHh, biasIh, biasHh) = cells[index];
                var target = new LstmInferenceTarget(layerOutput, Directions * HiddenSize, direction * HiddenSize, StateRows: false,
                    finalHidden, finalCell, index * batch * HiddenSize);
                var hidden = initialHidden?.Select(0, index);
                var cell = initialCell?.Select(0, index);
                if (float32) LstmInference.Run<float>(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, direction == 1, lengths, target, blocks);
                else LstmInference.Run<double>(input, hidden, cell, weightIh, weightHh, biasIh, biasHh, direction == 1, lengths, target, blocks);
            }
            if (!directionsSideBySide)
                for (int direction = 0; direction < Directions; direction++) RunDirection(direction);
            else Parallel.For(0, Directions, RunDirection);
            layerInput = layerOutput;
            if (layer < NumLayers - 1 && DropoutProbability > 0)
                layerInput = layerInput.Dropout(DropoutProbability, IsTraining, dropoutGenerator);
        }
        return new RecurrentOutput(BatchFirst ? layerInput.Transpose(0, 1) : layerInput, finalHidden, finalCell);
    }

    private int InferenceBlocks(DType dtype, int batch) => dtype == DType.Float32
        ? LstmSequenceOp.InferenceBlocks<float>(batch, HiddenSize)
        : LstmSequenceOp.InferenceBlocks<double>(batch, HiddenSize);

    private (Tensor[] Outputs, Tensor Hidden, Tensor Cell) RunDirection(Tensor[] sequence,
        (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) weights, Tensor hidden, Tensor? cell, bool reverse, Tensor[]? masks)
    {
        int steps = sequence.Length;
        var outputs = new Tensor[steps];
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var projection = Tensor.Linear(sequence[t], weights.WeightIh, weights.BiasIh);
            Tensor nextHidden;
            Tensor? nextCell = null;
            switch (Kind)
            {
                case RecurrentKind.Lstm:
                    (nextHidden, nextCell) = RecurrentMath.LstmStep(projection, hidden, cell!, weights.WeightHh, weights.BiasHh);
                    break;
                case RecurrentKind.Gru:
                    nextHidden = RecurrentMath.GruStep(projection, hidden, weights.WeightHh, weights.BiasHh);
                    break;
                default:
                    nextHidden = RecurrentMath.RnnStep(projection, hidden, weights.WeightHh, weights.BiasHh, Kind == RecurrentKind.RnnRelu);
                    break;
            }
            if (masks is null)
            {
                hidden = nextHidden;
                cell = nextCell;
                outputs[t] = nextHidden;
            }
            else
            {
                var active = masks[t]; // [B, 1]: 1 where t < length
                hidden = Tensor.Where(active, nextHidden, hidden);
                if (nextCell is not null) cell = Tensor.Where(active, nextCell, cell!);
                outputs[t] = nextHidden * active;
            }
        }
        return (outputs, hidden, cell ?? hidden);
    }

    private static Tensor[] StepMasks(int[] lengths, int steps, int batch, DType dtype)
    {
        if (lengths.Length != batch)
            throw new ArgumentException($"recurrent layer: {lengths.Length} lengths given for a batch of {batch}");
        foreach (var length in lengths)
            if (length < 1 || length > steps)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"recurrent layer: length {length} is outside 1..{steps}");
        return Enumerable.Range(0, steps)
            .Select(t => Tensor.FromArray(lengths.Select(length => t < length ? 1.0 : 0.0).ToArray(), new Shape(batch, 1), dtype))
            .ToArray();
    }

    private void CheckState(Tensor? state, Shape expected, string what)
    {
        if (state is not null && state.Shape != expected)
            throw new ArgumentException($"{Name}: the {what} must be {expected} (layers·directions, batch, hidden), got {state.Shape}");
    }
}

/// <summary>An Elman RNN over sequences, as <c>torch.nn.RNN</c> (tanh, or relu with <c>relu: true</c>).</summary>
public sealed class Rnn(int inputSize, int hiddenSize, int numLayers = 1, bool relu = false, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    : RecurrentLayer(relu ? RecurrentKind.RnnRelu : RecurrentKind.RnnTanh, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator);

/// <summary>An LSTM over sequences, as <c>torch.nn.LSTM</c>.</summary>
public sealed class Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    : RecurrentLayer(RecurrentKind.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator);

/// <summary>A GRU over sequences, as <c>torch.nn.GRU</c>.</summary>
public sealed class Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    : RecurrentLayer(RecurrentKind.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator);
