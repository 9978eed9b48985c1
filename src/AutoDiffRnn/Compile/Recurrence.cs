namespace AutoDiffRnn.Compile;

/// <summary>One layer of a stacked recurrence: a cell for the forward direction, and optionally one for the reverse direction.</summary>
/// <param name="Forward">The cell run over t = 0 … T−1.</param>
/// <param name="Reverse">The cell run over t = T−1 … 0 (bidirectional layer), or null.</param>
public sealed record RecurrenceLayer(CompiledCell Forward, CompiledCell? Reverse = null)
{
    /// <summary>1, or 2 with a reverse cell.</summary>
    public int Directions => Reverse is null ? 1 : 2;
}

/// <summary>The result of <see cref="Recurrence"/>: the outputs of every step and the state each sequence ended with.</summary>
/// <param name="Output">[T, B, D·H]: per step the cell's output (its first state tensor), forward direction first; zero past each sequence's length.</param>
/// <param name="FinalStates">Per layer and direction (layer 0 forward, layer 0 reverse, layer 1 forward, …) the state after each
/// sequence's last valid step (for the reverse direction: after step 0).</param>
public sealed record RecurrenceResult(Tensor Output, IReadOnlyList<Tensor[]> FinalStates);

/// <summary>
/// Runs compiled cells over time with the semantics of the built-in recurrent layers (and PyTorch's packed sequences): inputs
/// [T, B, I]; optional lengths per sequence (step t is active for sequence b iff t &lt; lengths[b]; an inactive step keeps the state
/// and outputs zero); the reverse direction runs t = T−1 … 0, starting at each sequence's own last step; stacked layers read the
/// concatenated outputs of the layer below. A compiled cell runs each direction as ONE node on the tape (<see cref="CompiledRecurrence"/>):
/// the state-independent products of all steps are hoisted into one GEMM before the time loop and the weight gradients are one GEMM
/// each over all steps. A cell that runs eagerly (or whose state is not [B, …]) runs one call per step.
/// </summary>
public static class Recurrence
{
    /// <summary>One direction of one layer: <paramref name="cell"/> from <paramref name="initialState"/> over <paramref name="inputs"/> [T, B, I].</summary>
    public static RecurrenceResult Run(CompiledCell cell, Tensor inputs, Tensor[] initialState, int[]? lengths = null, bool reverse = false)
    {
        ArgumentNullException.ThrowIfNull(cell);
        var (output, final) = RunDirection(cell, inputs, initialState, lengths, reverse);
        return new RecurrenceResult(output, [final]);
    }

    /// <summary>
    /// Stacked (and bidirectional) layers: <paramref name="initialStates"/> holds one state per layer and direction, in the order of
    /// <see cref="RecurrenceResult.FinalStates"/>.
    /// </summary>
    public static RecurrenceResult Run(IReadOnlyList<RecurrenceLayer> layers, Tensor inputs, IReadOnlyList<Tensor[]> initialStates, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        int expected = layers.Sum(layer => layer.Directions);
        if (layers.Count == 0 || initialStates.Count != expected)
            throw new ArgumentException(
                $"recurrence: {layers.Count} layers with {expected} directions in all need {expected} initial states, got {initialStates.Count}");
        var finals = new List<Tensor[]>();
        var layerInput = inputs;
        int next = 0;
        foreach (var layer in layers)
        {
            var (forward, forwardFinal) = RunDirection(layer.Forward, layerInput, initialStates[next++], lengths, reverse: false);
            finals.Add(forwardFinal);
            if (layer.Reverse is null) layerInput = forward;
            else
            {
                var (backward, backwardFinal) = RunDirection(layer.Reverse, layerInput, initialStates[next++], lengths, reverse: true);
                finals.Add(backwardFinal);
                layerInput = Tensor.Concat([forward, backward], 2);
            }
        }
        return new RecurrenceResult(layerInput, finals);
    }

    private static (Tensor Output, Tensor[] Final) RunDirection(CompiledCell cell, Tensor inputs, Tensor[] initialState, int[]? lengths, bool reverse)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(initialState);
        if (inputs.Rank != 3)
            throw new ArgumentException($"recurrence ({cell.Name}): inputs must be [T, B, I], got {inputs.Shape}");
        int steps = inputs.Shape[0], batch = inputs.Shape[1];
        if (initialState.Length == 0)
            throw new ArgumentException($"recurrence ({cell.Name}): the initial state needs at least one tensor (the first is the cell's output)");
        if (lengths is not null)
        {
            if (lengths.Length != batch)
                throw new ArgumentException($"recurrence ({cell.Name}): {lengths.Length} lengths for a batch of {batch} (inputs {inputs.Shape})");
            for (int b = 0; b < batch; b++)
                if (lengths[b] < 0 || lengths[b] > steps)
                    throw new ArgumentOutOfRangeException(nameof(lengths),
                        $"recurrence ({cell.Name}): length {lengths[b]} of sequence {b} is outside 0..{steps} (inputs {inputs.Shape})");
        }
        if (steps > 0 && batch > 0 && cell.SequencePlanFor(inputs.Select(0, 0), initialState) is { } plan)
            return CompiledRecurrence.Run(cell, plan, inputs, initialState, lengths, reverse);
        return RunSteps(cell.Step, cell.Name, inputs, initialState, lengths, reverse);
    }

    /// <summary>
    /// The recurrence one step at a time, each step one call of <paramref name="step"/>: for cells that run eagerly, shapes the
    /// sequence-level op does not take, and the eager backward of gradients of gradients (<see cref="CompiledRecurrence"/>).
    /// </summary>
    internal static (Tensor Output, Tensor[] Final) RunSteps(Func<Tensor, Tensor[], Tensor[]> step, string name, Tensor inputs, Tensor[] initialState,
        int[]? lengths, bool reverse)
    {
        int steps = inputs.Shape[0], batch = inputs.Shape[1];
        var state = initialState;
        var outputs = new Tensor[steps];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            var next = step(inputs.Select(0, t), state);
            if (next.Length != state.Length)
                throw new InvalidOperationException(
                    $"recurrence ({name}): the cell returned {next.Length} state tensors for a state of {state.Length}");
            int active = lengths?.Count(length => t < length) ?? batch;
            if (active == batch)
            {
                state = next;
                outputs[t] = next[0];
            }
            else if (active == 0)
                outputs[t] = Tensor.Zeros(next[0].Shape, next[0].DType);
            else
            {
                var mask = ActiveMask(lengths!, t, next[0].DType);
                state = next.Select((tensor, k) => Tensor.Where(mask, tensor, state[k])).ToArray();
                outputs[t] = Tensor.Where(mask, next[0], Tensor.Scalar(0.0, next[0].DType));
            }
        }
        var output = steps == 0 ? Tensor.Zeros(new Shape(0, batch, state[0].Shape[^1]), inputs.DType) : Tensor.Stack(outputs, 0);
        return (output, state);
    }

    /// <summary>[B, 1]: 1 where step t is inside sequence b, else 0.</summary>
    private static Tensor ActiveMask(int[] lengths, int t, DType dtype) =>
        Tensor.FromArray(lengths.Select(length => t < length ? 1.0 : 0.0).ToArray(), new Shape(lengths.Length, 1), dtype);
}
