using System.Numerics;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// The fused recurrence driver: one direction of a recurrent layer over a whole sequence as a single recorded op with a hand-written,
/// first-order backward, for any cell (<see cref="IFusedCell"/>: LSTM, GRU, tanh and relu RNN). It owns what every cell shares: shape
/// and dtype checks naming the op, the empty batch, the decision to save step buffers (only when the tape will record), the copy of
/// the lengths, the dispatch on float32/float64, <c>Tape.Record</c> with the release of the pooled saved steps, and the forward and
/// backward step loops (<see cref="FusedForward{T, TCell}"/>, <see cref="FusedBackward{T, TCell}"/>).
/// The op's inputs are [input, h0, (c0), W_ih, W_hh, (b_ih, b_hh)]; its output [T, B, (2 or 3)·H] holds per step the layer output
/// (zero at padded steps), then h and (LSTM) c after the step.
/// </summary>
internal static class FusedRecurrence
{
    /// <summary>Runs cell <typeparamref name="TCell"/> over the sequence and records the op.</summary>
    public static Tensor Apply<TCell>(RecurrenceInputs inputs) where TCell : struct, IFusedCell
    {
        Check<TCell>(inputs);
        int rowWidth = (TCell.HasCellState ? 3 : 2) * inputs.HiddenSize;
        var output = Tensor.Empty(new Shape(inputs.Steps, inputs.Batch, rowWidth), inputs.Input.DType);
        var tensors = Inputs(inputs);
        if (inputs.Batch == 0) return EmptyBatch.Record(TCell.Operation, output, tensors);
        bool save = GradMode.IsEnabled && tensors.Any(tensor => tensor.RequiresGrad); // else the tape records nothing: keep no step buffers
        inputs = inputs with { Lengths = (int[]?)inputs.Lengths?.Clone() }; // the backward reads them later
        bool float32 = inputs.Input.DType == DType.Float32;
        ISavedSteps? saved = float32 ? FusedForward<float, TCell>.Run(inputs, output, save) : FusedForward<double, TCell>.Run(inputs, output, save);
        return Tape.Record(TCell.Operation, output, tensors, gradient =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException($"{TCell.Operation}: the fused kernels have a first-order backward only; for gradients of " +
                                                "gradients use the composed path (RecurrentLayer.UseFusedKernels = false)");
            return float32
                ? FusedBackward<float, TCell>.Run(inputs, (SavedSteps<float>)saved!, gradient)
                : FusedBackward<double, TCell>.Run(inputs, (SavedSteps<double>)saved!, gradient);
        }, release: () => saved?.Release());
    }

    /// <summary>The op's input tensors, in the order of its gradients: input, h0, (c0), W_ih, W_hh, (b_ih, b_hh).</summary>
    public static Tensor[] Inputs(RecurrenceInputs inputs) =>
        [inputs.Input, inputs.Hidden!, .. (inputs.Cell is null ? [] : new[] { inputs.Cell }), inputs.WeightIh, inputs.WeightHh,
         .. (inputs.BiasIh is null ? [] : new[] { inputs.BiasIh, inputs.BiasHh! })];

    private static void Check<TCell>(RecurrenceInputs inputs) where TCell : struct, IFusedCell
    {
        string op = TCell.Operation;
        int gates = TCell.Gates;
        var (input, weightIh, weightHh, biasIh, biasHh, lengths) = (inputs.Input, inputs.WeightIh, inputs.WeightHh, inputs.BiasIh, inputs.BiasHh, inputs.Lengths);
        foreach (var tensor in new[] { inputs.Hidden, inputs.Cell, weightIh, weightHh, biasIh, biasHh }.OfType<Tensor>())
            Elementwise.RequireSameDType(op, input, tensor);
        if (input.Rank != 3) throw new ArgumentException($"{op}: input must be [T, B, I], got {input.Shape}");
        int steps = input.Shape[0], batch = input.Shape[1];
        if (steps == 0) throw new ArgumentException($"{op}: expected a sequence length larger than 0, got input {input.Shape}");
        if (weightHh.Rank != 2 || weightHh.Shape[0] != gates * weightHh.Shape[1])
            throw new ArgumentException($"{op}: weight_hh must be [{gates}H, H], got {weightHh.Shape}");
        int h = weightHh.Shape[1];
        if (weightIh.Shape != new Shape(gates * h, input.Shape[2]))
            throw new ArgumentException($"{op}: weight_ih must be [{gates * h}, {input.Shape[2]}] for input {input.Shape}, got {weightIh.Shape}");
        var state = new Shape(batch, h);
        if (inputs.Hidden is null || inputs.Hidden.Shape != state)
            throw new ArgumentException($"{op}: the initial hidden state must be {state}, got {inputs.Hidden?.Shape.ToString() ?? "none"}");
        if (TCell.HasCellState != inputs.Cell is not null || (inputs.Cell is not null && inputs.Cell.Shape != state))
            throw new ArgumentException(TCell.HasCellState
                ? $"{op}: the initial cell state must be {state}, got {inputs.Cell?.Shape.ToString() ?? "none"}"
                : $"{op}: takes no cell state");
        if ((biasIh is null) != (biasHh is null) || (biasIh is not null && (biasIh.Shape != new Shape(gates * h) || biasHh!.Shape != new Shape(gates * h))))
            throw new ArgumentException($"{op}: biases must both be [{gates * h}] or both absent");
        if (lengths is not null && (lengths.Length != batch || lengths.Any(length => length < 1 || length > steps)))
            throw new ArgumentException($"{op}: lengths [{string.Join(",", lengths)}] must give one length in 1..{steps} per batch entry ({batch})");
    }
}

/// <summary>
/// A cell kind chosen at run time (by <see cref="Nn.RecurrentLayer"/>), bound to its <see cref="IFusedCell"/>: the fused op, the
/// forward without recording split by hidden units, and the composed step, all without a switch over the kind at each call.
/// </summary>
internal abstract class FusedCellRunner
{
    /// <summary>The runner of cell <typeparamref name="TCell"/>.</summary>
    public static FusedCellRunner For<TCell>() where TCell : struct, IFusedCell => new Runner<TCell>();

    /// <summary>Gates G.</summary>
    public abstract int Gates { get; }

    /// <summary>Whether the cell carries a cell state.</summary>
    public abstract bool HasCellState { get; }

    /// <summary>The fused op over one direction (<see cref="FusedRecurrence.Apply{TCell}"/>).</summary>
    public abstract Tensor Sequence(RecurrenceInputs inputs);

    /// <summary>The blocks of hidden units the forward without recording is split into (1: no split).</summary>
    public abstract int InferenceBlocks(DType dtype, int batch, int hiddenSize);

    /// <summary>The forward without recording, split by hidden units (<see cref="UnitBlockInference{T, TCell}"/>).</summary>
    public abstract void Infer(RecurrenceInputs inputs, InferenceTarget target, int blocks);

    /// <summary>One composed step (<see cref="IFusedCell.Composed"/>).</summary>
    public abstract (Tensor Hidden, Tensor? Cell) ComposedStep(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh);

    private sealed class Runner<TCell> : FusedCellRunner where TCell : struct, IFusedCell
    {
        public override int Gates => TCell.Gates;
        public override bool HasCellState => TCell.HasCellState;
        public override Tensor Sequence(RecurrenceInputs inputs) => FusedRecurrence.Apply<TCell>(inputs);

        public override int InferenceBlocks(DType dtype, int batch, int hiddenSize) => dtype == DType.Float32
            ? RecurrenceSplit.InferenceBlocks<float>(batch, hiddenSize, TCell.Gates)
            : RecurrenceSplit.InferenceBlocks<double>(batch, hiddenSize, TCell.Gates);

        public override void Infer(RecurrenceInputs inputs, InferenceTarget target, int blocks)
        {
            if (inputs.Input.DType == DType.Float32) UnitBlockInference<float, TCell>.Run(inputs, target, blocks);
            else UnitBlockInference<double, TCell>.Run(inputs, target, blocks);
        }

        public override (Tensor Hidden, Tensor? Cell) ComposedStep(Tensor inputProjection, Tensor hidden, Tensor? cell, Tensor weightHh, Tensor? biasHh) =>
            TCell.Composed(inputProjection, hidden, cell, weightHh, biasHh);
    }
}
