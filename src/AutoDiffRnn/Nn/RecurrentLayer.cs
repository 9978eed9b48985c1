using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;
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
    /// <summary>The number of directions D (1, or 2 when bidirectional): the output's last axis is D·H, the states' H.</summary>
    public int Directions => Output.Shape[Output.Rank - 1] / Hidden.Shape[Hidden.Rank - 1];

    /// <summary>
    /// The Keras-style "last output" for many-to-one models: the top layer's final hidden state of each sequence, (B, D·H) —
    /// for the forward direction the state at each sequence's own last step, for the reverse direction the state after step 0.
    /// </summary>
    public Tensor LastOutput() =>
        Directions == 1
            ? Hidden.Select(0, Hidden.Shape[0] - 1)
            : Tensor.Concat([Hidden.Select(0, Hidden.Shape[0] - 2), Hidden.Select(0, Hidden.Shape[0] - 1)], 1);

    /// <summary>
    /// <see cref="LastOutput()"/>, checking that <paramref name="directions"/> is the layer's own direction count (kept for callers written
    /// before the output knew it).
    /// </summary>
    public Tensor LastOutput(int directions) =>
        directions == Directions ? LastOutput()
            : throw new ArgumentException($"LastOutput: the layer has {Directions} direction(s), got {directions}", nameof(directions));
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
    private readonly FusedCellRunner cellKind;

    /// <summary>Creates the layer; see the properties for the meaning of each argument.</summary>
    public RecurrentLayer(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    {
        (Name, cellKind) = kind switch
        {
            RecurrentKind.Lstm => ("LSTM", FusedCellRunner.For<LstmCellMath>()),
            RecurrentKind.Gru => ("GRU", FusedCellRunner.For<GruCellMath>()),
            RecurrentKind.RnnRelu => ("RNN", FusedCellRunner.For<RnnCellMath<ReluActivation>>()),
            _ => ("RNN", FusedCellRunner.For<RnnCellMath<TanhActivation>>()),
        };
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentException($"{Name}: input size, hidden size and layer count must be positive, got {inputSize}, {hiddenSize}, {numLayers}");
        if (dropout < 0 || dropout > 1)
            throw new ArgumentOutOfRangeException(nameof(dropout), $"{Name}: dropout must be in [0, 1], got {dropout}");
        (Kind, InputSize, HiddenSize, NumLayers, HasBias, BatchFirst, DropoutProbability) = (kind, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout);
        Directions = bidirectional ? 2 : 1;
        dropoutGenerator = generator;
        int gates = cellKind.Gates;
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

    /// <summary>
    /// Use the fused kernels (<see cref="Tensor.LstmSequence"/>, <see cref="Tensor.GruSequence"/>, <see cref="Tensor.RnnSequence"/>): one
    /// recorded op per layer and direction with a hand-written backward, several times faster than the composed path and equal to it to
    /// rounding. Their backward is first-order only, so leave it off for gradients of gradients. Off by default; applies to every kind.
    /// </summary>
    public bool UseFusedKernels { get; set; }

    /// <summary>"LSTM", "GRU" or "RNN", for messages.</summary>
    private string Name { get; }

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
        CheckLengths(lengths, steps, batch);
        if (UseFusedKernels && !GradMode.IsEnabled && batch > 0 && cellKind.InferenceBlocks(input.DType, batch, HiddenSize) > 1)
            return ForwardInference(sequence, initialHidden, initialCell, lengths);

        var finalHidden = new Tensor[NumLayers * Directions];
        var finalCell = new Tensor?[NumLayers * Directions];
        var layerInput = new LayerSequence(sequence);
        var masks = UseFusedKernels || lengths is null ? null : StepMasks(lengths, steps, batch, input.DType);
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var directionOutputs = new LayerSequence[Directions];
            if (UseFusedKernels)
            {
                // The directions are independent: a bidirectional layer runs them side by side (the recording mode is per thread: passed on)
                var directions = new FusedDirections(this, layer, layerInput.Whole, directionOutputs, finalHidden, finalCell, initialHidden,
                    initialCell, lengths, GradMode.IsEnabled);
                if (Directions == 1) directions.Run(0);
                else ParallelParts.Run(Directions, directions);
            }
            else
                for (int direction = 0; direction < Directions; direction++)
                {
                    int index = layer * Directions + direction;
                    var (hidden, cell) = InitialStates(index, batch, input.DType, initialHidden, initialCell);
                    (directionOutputs[direction], finalHidden[index], finalCell[index]) =
                        ComposedDirection(layerInput.Steps, cells[index], hidden, cell, reverse: direction == 1, masks);
                }
            layerInput = LayerSequence.Concat(directionOutputs);
            if (layer < NumLayers - 1 && DropoutProbability > 0)
                layerInput = layerInput.Dropout(DropoutProbability, IsTraining, dropoutGenerator);
        }
        var output = layerInput.Whole;
        return new RecurrentOutput(BatchFirst ? output.Transpose(0, 1) : output, Tensor.Stack(finalHidden, 0),
            Kind == RecurrentKind.Lstm ? Tensor.Stack(finalCell.Select(cell => cell!).ToArray(), 0) : null);
    }

    /// <summary>The initial hidden and (LSTM) cell state of layer-direction <paramref name="index"/>: given, or zeros.</summary>
    private (Tensor Hidden, Tensor? Cell) InitialStates(int index, int batch, DType dtype, Tensor? initialHidden, Tensor? initialCell)
    {
        var zeros = initialHidden is null || (Kind == RecurrentKind.Lstm && initialCell is null) ? Tensor.Zeros(new Shape(batch, HiddenSize), dtype) : null;
        var hidden = initialHidden?.Select(0, index) ?? zeros!;
        var cell = Kind == RecurrentKind.Lstm ? initialCell?.Select(0, index) ?? zeros : null;
        return (hidden, cell);
    }

    /// <summary>
    /// The fused directions of one layer, direction d as part d of <see cref="ParallelParts"/> (no closure, delegate or task per layer):
    /// each writes its output sequence and final states into the arrays it shares with the others, at its own index.
    /// </summary>
    private readonly struct FusedDirections(RecurrentLayer owner, int layer, Tensor input, LayerSequence[] outputs, Tensor[] finalHidden,
        Tensor?[] finalCell, Tensor? initialHidden, Tensor? initialCell, int[]? lengths, bool recording) : IParallelBody
    {
        public void Run(int direction)
        {
            using var mode = GradMode.IsEnabled == recording ? null : GradMode.Set(recording);
            int index = layer * owner.Directions + direction;
            var (hidden, cell) = owner.InitialStates(index, input.Shape[1], input.DType, initialHidden, initialCell);
            (outputs[direction], finalHidden[index], finalCell[index]) =
                owner.FusedDirection(input, owner.cells[index], hidden, cell, reverse: direction == 1, lengths);
        }
    }

    /// <summary>One direction as one fused op: its output rows [T, B, (2 or 3)·H] give the layer output and the final states.</summary>
    private (LayerSequence Output, Tensor Hidden, Tensor? Cell) FusedDirection(Tensor sequence,
        (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) weights, Tensor hidden, Tensor? cell, bool reverse, int[]? lengths)
    {
        var result = cellKind.Sequence(new RecurrenceInputs(sequence, hidden, cell, weights.WeightIh, weights.WeightHh, weights.BiasIh,
            weights.BiasHh, reverse, lengths));
        var last = result.Select(0, reverse ? 0 : sequence.Shape[0] - 1); // the state after the last processed step
        return (new LayerSequence(result.Narrow(2, 0, HiddenSize)), last.Narrow(1, HiddenSize, HiddenSize),
            cell is null ? null : last.Narrow(1, 2 * HiddenSize, HiddenSize));
    }

    /// <summary>
    /// One direction on core ops, one tensor per time step (selecting steps from a stacked tensor would make each step's backward
    /// materialize a gradient of the whole sequence: quadratic in T); padded steps keep the states through <paramref name="masks"/>.
    /// </summary>
    private (LayerSequence Output, Tensor Hidden, Tensor? Cell) ComposedDirection(Tensor[] sequence,
        (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) weights, Tensor hidden, Tensor? cell, bool reverse, Tensor[]? masks)
    {
        int steps = sequence.Length;
        var outputs = new Tensor[steps];
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var projection = Tensor.Linear(sequence[t], weights.WeightIh, weights.BiasIh);
            var (nextHidden, nextCell) = cellKind.ComposedStep(projection, hidden, cell, weights.WeightHh, weights.BiasHh);
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
        return (new LayerSequence(outputs), hidden, cell);
    }

    /// <summary>
    /// The fused kernels when nothing is recorded and a step is worth splitting: each layer and direction runs
    /// <see cref="UnitBlockInference{T, TCell}"/>, which writes its hidden states straight into the layer's output [T, B, D·H] (at its
    /// direction's columns) and its final states into h_n (and c_n), so no per-step state rows, slices or concatenations are built. The two
    /// directions of a bidirectional layer run side by side, each on its share of the cores.
    /// </summary>
    private RecurrentOutput ForwardInference(Tensor sequence, Tensor? initialHidden, Tensor? initialCell, int[]? lengths)
    {
        int steps = sequence.Shape[0], batch = sequence.Shape[1];
        var stateShape = new Shape(NumLayers * Directions, batch, HiddenSize);
        var finalHidden = Tensor.Empty(stateShape, sequence.DType);
        var finalCell = cellKind.HasCellState ? Tensor.Empty(stateShape, sequence.DType) : null;
        int blocks = cellKind.InferenceBlocks(sequence.DType, batch, HiddenSize);
        bool directionsSideBySide = Directions > 1 && Kernels.Gemm.MaxParallelism > 1;
        if (directionsSideBySide) blocks = Math.Max(1, blocks / Directions);
        var layerInput = sequence;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            // every element is written (padded steps get zeros), so the storage need not be cleared first; pooled, so inside a
            // TensorScope repeated inference allocates no new large array (no generation-2 collections from the output)
            var layerOutput = Tensor.Uninitialized(new Shape(steps, batch, Directions * HiddenSize), sequence.DType);
            var directions = new InferenceDirections(this, layer, layerInput, layerOutput, finalHidden, finalCell, initialHidden, initialCell,
                lengths, blocks);
            if (!directionsSideBySide)
                for (int direction = 0; direction < Directions; direction++) directions.Run(direction);
            else ParallelParts.Run(Directions, directions);
            layerInput = layerOutput;
            if (layer < NumLayers - 1 && DropoutProbability > 0)
                layerInput = layerInput.Dropout(DropoutProbability, IsTraining, dropoutGenerator);
        }
        return new RecurrentOutput(BatchFirst ? layerInput.Transpose(0, 1) : layerInput, finalHidden, finalCell);
    }

    /// <summary>
    /// The directions of one layer of <see cref="ForwardInference"/>, direction d as part d of <see cref="ParallelParts"/>: each writes
    /// its hidden states into its columns of the layer's output and its final states into h_n (and c_n), recording nothing.
    /// </summary>
    private readonly struct InferenceDirections(RecurrentLayer owner, int layer, Tensor input, Tensor layerOutput, Tensor finalHidden,
        Tensor? finalCell, Tensor? initialHidden, Tensor? initialCell, int[]? lengths, int blocks) : IParallelBody
    {
        public void Run(int direction)
        {
            using var mode = GradMode.IsEnabled ? GradMode.NoGrad() : null; // a helper thread records by default
            int directions = owner.Directions, hiddenSize = owner.HiddenSize, index = layer * directions + direction, batch = input.Shape[1];
            var (weightIh, weightHh, biasIh, biasHh) = owner.cells[index];
            var target = new InferenceTarget(layerOutput, directions * hiddenSize, direction * hiddenSize, StateRows: false,
                finalHidden, finalCell, index * batch * hiddenSize);
            owner.cellKind.Infer(new RecurrenceInputs(input, initialHidden?.Select(0, index), initialCell?.Select(0, index), weightIh, weightHh,
                biasIh, biasHh, direction == 1, lengths), target, blocks);
        }
    }

    private static void CheckLengths(int[]? lengths, int steps, int batch)
    {
        if (lengths is null) return;
        if (lengths.Length != batch)
            throw new ArgumentException($"recurrent layer: {lengths.Length} lengths given for a batch of {batch}");
        foreach (var length in lengths)
            if (length < 1 || length > steps)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"recurrent layer: length {length} is outside 1..{steps}");
    }

    private static Tensor[] StepMasks(int[] lengths, int steps, int batch, DType dtype) =>
        Enumerable.Range(0, steps)
            .Select(t => Tensor.FromArray(lengths.Select(length => t < length ? 1.0 : 0.0).ToArray(), new Shape(batch, 1), dtype))
            .ToArray();

    private void CheckState(Tensor? state, Shape expected, string what)
    {
        if (state is not null && state.Shape != expected)
            throw new ArgumentException($"{Name}: the {what} must be {expected} (layers·directions, batch, hidden), got {state.Shape}");
    }
}

/// <summary>
/// A layer's input or output sequence, held the way its producer made it — one tensor [T, B, F] (the fused path) or one tensor [B, F]
/// per step (the composed path) — and converted only when a consumer needs the other form.
/// </summary>
internal sealed class LayerSequence
{
    private Tensor? whole;
    private Tensor[]? steps;

    /// <summary>A sequence held as one tensor [T, B, F].</summary>
    public LayerSequence(Tensor whole) => this.whole = whole;

    /// <summary>A sequence held as one tensor [B, F] per step.</summary>
    public LayerSequence(Tensor[] steps) => this.steps = steps;

    /// <summary>The sequence as one tensor [T, B, F].</summary>
    public Tensor Whole => whole ??= Tensor.Stack(steps!, 0);

    /// <summary>The sequence as one tensor per step.</summary>
    public Tensor[] Steps => steps ??= Enumerable.Range(0, whole!.Shape[0]).Select(t => whole.Select(0, t)).ToArray();

    /// <summary>The directions side by side on the feature axis.</summary>
    public static LayerSequence Concat(LayerSequence[] directions)
    {
        if (directions.Length == 1) return directions[0];
        if (directions.All(direction => direction.whole is not null))
            return new LayerSequence(Tensor.Concat(directions.Select(direction => direction.Whole).ToArray(), 2));
        return new LayerSequence(Enumerable.Range(0, directions[0].Steps.Length)
            .Select(t => Tensor.Concat(directions.Select(direction => direction.Steps[t]).ToArray(), 1)).ToArray());
    }

    /// <summary>Dropout on every element, in the form the sequence is held.</summary>
    public LayerSequence Dropout(double probability, bool training, Generator? generator) =>
        steps is not null && whole is null
            ? new LayerSequence(steps.Select(step => step.Dropout(probability, training, generator)).ToArray())
            : new LayerSequence(Whole.Dropout(probability, training, generator));
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
