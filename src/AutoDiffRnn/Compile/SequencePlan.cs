namespace AutoDiffRnn.Compile;

/// <summary>Where a value of a compiled recurrence lives at time step t.</summary>
internal enum SequenceLayout
{
    /// <summary>The step input: row block t of the sequence input [T, B, I].</summary>
    Input,

    /// <summary>A state argument: slot t of the state buffer (the state entering step t).</summary>
    State,

    /// <summary>The same tensor at every step (a parameter, a constant, or a value computed from them once before the loop).</summary>
    Whole,

    /// <summary>Block t of a buffer stacked over time (a value computed per step, or a hoisted product computed for all steps at once).</summary>
    PerStep,
}

/// <summary>
/// An op run once before the time loop: over the rows of all steps stacked ([T·B, …], <see cref="Stacked"/>: a product of the step
/// input with a parameter, and the row-wise ops that follow it before the state enters), or once for the whole sequence (an op of
/// parameters and constants only).
/// </summary>
internal sealed record HoistedOperation(TracedOperation Operation, bool Stacked);

/// <summary>One step of the time loop.</summary>
internal abstract record SequenceStep;

/// <summary>A fused element-wise region, run per step on the step's slices.</summary>
internal sealed record SequenceRegion(FusedRegion Region) : SequenceStep;

/// <summary>
/// A product of a per-step value A [B, K] with a parameter W (linear: A Wᵀ + b; matmul: A W or A Wᵀ), run per step on a matrix packed
/// once per sequence; its backward gives dA per step and dW (and db) once, as one product over all steps.
/// </summary>
/// <param name="Operation">The traced linear or matmul.</param>
/// <param name="WeightTransposed">True when Y = A Wᵀ (W is [N, K]); false when Y = A W (W is [K, N]).</param>
/// <param name="K">Columns of A.</param>
/// <param name="N">Columns of Y.</param>
/// <param name="Addend">
/// -1, or a value hoisted over all steps that the product is added onto (the cell's <c>x W_ihᵀ + h W_hhᵀ</c>): the traced add is folded
/// into the product, which accumulates in place into the addend's buffer, so the output shares the addend's buffer and gradient.
/// </param>
internal sealed record SequenceProduct(TracedOperation Operation, bool WeightTransposed, int K, int N, int Addend = -1) : SequenceStep
{
    /// <summary>The per-step operand.</summary>
    public int A => Operation.Inputs[0];

    /// <summary>The parameter.</summary>
    public int Weight => Operation.Inputs[1];

    /// <summary>The bias (linear only), or -1.</summary>
    public int Bias => Operation.Inputs.Length > 2 ? Operation.Inputs[2] : -1;
}

/// <summary>Any other op, run per step through its own implementation, its backward through the node it records.</summary>
internal sealed record SequenceEager(TracedOperation Operation, Shape OutputShape) : SequenceStep;

/// <summary>
/// How a compiled cell runs over a whole sequence as one op (<see cref="CompiledRecurrence"/>): which ops are hoisted out of the time
/// loop (those that do not depend on the state), the steps of the loop, and where each value lives.
/// </summary>
internal sealed class SequencePlan
{
    private SequencePlan(TracedGraph graph, IReadOnlyList<HoistedOperation> hoisted, IReadOnlyList<SequenceStep> steps, SequenceLayout[] layouts,
        int batch)
    {
        Graph = graph;
        Hoisted = hoisted;
        Steps = steps;
        Layouts = layouts;
        Stored = StoredValues(graph, hoisted, steps, layouts);
        UnclearedGradients = UnclearedValues(graph, steps, layouts, Stored);
        UnclearedExternals = steps.Select(step => step is SequenceRegion region
            ? region.Region.Externals.Select(value => UnclearedGradients[value]).ToArray()
            : null).ToArray();
        bool IsRows(int value) => graph.Values[value].Shape is { Rank: 2 } shape && shape[0] == batch;
        RowIndependent = steps.All(step => step switch
            {
                SequenceRegion region => region.Region.Rows == batch && region.Region.Outputs.All(output => output.VariesByRow),
                SequenceProduct => true,
                _ => false,
            })
            && graph.Values.Where(value => layouts[value.Id] is SequenceLayout.State or SequenceLayout.PerStep).All(value => IsRows(value.Id));
    }

    /// <summary>
    /// True when every step of the loop treats the batch rows independently (no op runs eagerly per step; every per-step value and
    /// state is [B, N]; every region runs over the B rows): the batch can then be split over the cores for the whole loop.
    /// </summary>
    public bool RowIndependent { get; }

    /// <summary>
    /// Which values need a buffer (and, in the backward, a gradient buffer): every value except those that live only inside a fused
    /// region's registers (computed there and read by nothing outside it).
    /// </summary>
    public bool[] Stored { get; }

    /// <summary>
    /// The per-step values whose gradient buffer needs no clearing: at every step one step of the loop is the only writer of the value's
    /// gradient and writes all of it, storing (a region that covers it, <see cref="FusedRegion.CoversGradient"/>, or a product's dA); the
    /// cell's outputs (their gradients arrive first) and states (carried) always need clearing.
    /// </summary>
    public bool[] UnclearedGradients { get; }

    /// <summary>Per step of the loop: for a region, which of its externals have an uncleared gradient buffer (null for other steps).</summary>
    public bool[]?[] UnclearedExternals { get; }

    /// <summary>The traced cell.</summary>
    public TracedGraph Graph { get; }

    /// <summary>The ops run before the loop, in execution order.</summary>
    public IReadOnlyList<HoistedOperation> Hoisted { get; }

    /// <summary>The steps of the loop, in execution order.</summary>
    public IReadOnlyList<SequenceStep> Steps { get; }

    /// <summary>Where each value lives.</summary>
    public SequenceLayout[] Layouts { get; }

    /// <summary>The number of state tensors.</summary>
    public int StateCount => Graph.ExplicitArgumentCount - 1;

    /// <summary>
    /// The plan for <paramref name="graph"/>, or null when the cell does not fit a sequence-level op (a step input or state that is not
    /// [B, …] with one batch size B, or an output whose shape differs from its state's): the recurrence then calls the cell per step.
    /// </summary>
    public static SequencePlan? For(TracedGraph graph)
    {
        var values = graph.Values;
        int stateCount = graph.ExplicitArgumentCount - 1;
        if (graph.Outputs.Length != stateCount || values[0].Shape.Rank != 2) return null;
        int batch = values[0].Shape[0];
        for (int k = 0; k < stateCount; k++)
            if (values[1 + k].Shape.Rank < 1 || values[1 + k].Shape[0] != batch || values[graph.Outputs[k]].Shape != values[1 + k].Shape)
                return null;

        var layouts = new SequenceLayout[values.Count];
        var stacked = new bool[values.Count]; // available for every step at once as [T·B, …]
        foreach (var value in values)
        {
            layouts[value.Id] = value.Kind switch
            {
                TracedValueKind.Constant => SequenceLayout.Whole,
                TracedValueKind.Argument when value.ArgumentIndex == 0 => SequenceLayout.Input,
                TracedValueKind.Argument when value.ArgumentIndex <= stateCount => SequenceLayout.State,
                TracedValueKind.Argument => SequenceLayout.Whole,
                _ => SequenceLayout.PerStep,
            };
            stacked[value.Id] = layouts[value.Id] == SequenceLayout.Input;
        }
        bool Invariant(int value) => layouts[value] == SequenceLayout.Whole;

        // Over all steps, a product of the input is hoisted (one GEMM), and the row-wise ops on the way to one; any other row-wise op
        // (a narrow of the gates, a layer_norm after the product) runs in the per-step region, where a view is an offset and the
        // backward allocates nothing, instead of as an eager op over [T·B, N] with its temporaries.
        var feedsProduct = new bool[values.Count];
        for (int o = graph.Operations.Count - 1; o >= 0; o--)
        {
            var consumer = graph.Operations[o];
            if (consumer.Name is "linear" or "matmul" || feedsProduct[consumer.Output])
                foreach (int input in consumer.Inputs) feedsProduct[input] = true;
        }
        var hoisted = new List<HoistedOperation>();
        foreach (var operation in graph.Operations)
        {
            if (operation.Inputs.All(Invariant))
            {
                layouts[operation.Output] = SequenceLayout.Whole;
                hoisted.Add(new HoistedOperation(operation, Stacked: false));
            }
            else if ((operation.Name is "linear" or "matmul" || feedsProduct[operation.Output]) && IsRowWise(graph, operation, batch, stacked, layouts))
            {
                stacked[operation.Output] = true;
                hoisted.Add(new HoistedOperation(operation, Stacked: true));
            }
        }

        var precomputed = new HashSet<TracedOperation>(hoisted.Select(h => h.Operation), ReferenceEqualityComparer.Instance);
        var (folded, addends) = FoldSums(graph, hoisted, layouts, batch);
        var steps = FusionPlanner.Plan(folded, precomputed).Select(step => step switch
        {
            FusedStep fused => new SequenceRegion(fused.Region),
            EagerStep eager => ProductOf(graph, eager.Operation, layouts, batch, addends.GetValueOrDefault(eager.Operation, -1))
                ?? (SequenceStep)new SequenceEager(eager.Operation, eager.OutputShape),
            _ => throw new InvalidOperationException($"compiled recurrence: unknown step {step}"),
        }).ToList();
        return new SequencePlan(graph, hoisted, steps, layouts, batch);
    }

    /// <summary>
    /// The graph with each sum of a hoisted product and a per-step product (<c>linear(x, W_ih) + linear(h, W_hh)</c>, each read by
    /// nothing else) folded into the per-step product: the product then writes the sum (accumulating onto the hoisted value in place,
    /// as the fused kernels do), and the add disappears. Returns the graph's operations so rewritten and, per rewritten product, the
    /// hoisted value it adds onto. Only a linear or matmul is an addend (their backward does not read their output, which the fold
    /// overwrites).
    /// </summary>
    private static (TracedGraph Folded, Dictionary<TracedOperation, int> Addends) FoldSums(TracedGraph graph, IReadOnlyList<HoistedOperation> hoisted,
        SequenceLayout[] layouts, int batch)
    {
        var addends = new Dictionary<TracedOperation, int>(ReferenceEqualityComparer.Instance);
        var readers = new int[graph.Values.Count];
        foreach (var operation in graph.Operations)
            foreach (int input in operation.Inputs) readers[input]++;
        foreach (int output in graph.Outputs) readers[output]++;
        var hoistedProducts = hoisted.Where(h => h.Stacked && h.Operation.Name is "linear" or "matmul").Select(h => h.Operation.Output).ToHashSet();
        var producers = graph.ProducerOf();
        var hoistedOperations = hoisted.Select(h => h.Operation).ToHashSet(ReferenceEqualityComparer.Instance);
        var replaced = new Dictionary<TracedOperation, TracedOperation?>(ReferenceEqualityComparer.Instance); // null: removed
        foreach (var sum in graph.Operations.Where(operation => operation.Name == "add" && operation.Inputs[0] != operation.Inputs[1]))
        {
            var shape = graph.Values[sum.Output].Shape;
            foreach (var (addend, other) in new[] { (sum.Inputs[0], sum.Inputs[1]), (sum.Inputs[1], sum.Inputs[0]) })
            {
                if (!hoistedProducts.Contains(addend) || readers[addend] != 1 || readers[other] != 1) continue;
                if (producers[other] is not { } product || hoistedOperations.Contains(product) || replaced.ContainsKey(product)) continue;
                if (graph.Values[addend].Shape != shape || graph.Values[other].Shape != shape || ProductOf(graph, product, layouts, batch) is null) continue;
                var rewritten = product with { Output = sum.Output };
                replaced[product] = rewritten;
                replaced[sum] = null;
                addends[rewritten] = addend;
                break;
            }
        }
        if (replaced.Count == 0) return (graph, addends);
        var operations = graph.Operations
            .Select(operation => replaced.TryGetValue(operation, out var replacement) ? replacement : operation)
            .OfType<TracedOperation>().ToList();
        return (graph with { Operations = operations }, addends);
    }

    private static bool[] UnclearedValues(TracedGraph graph, IReadOnlyList<SequenceStep> steps, SequenceLayout[] layouts, bool[] stored)
    {
        var writers = new int[graph.Values.Count];
        var covered = new bool[graph.Values.Count];
        foreach (var step in steps)
            switch (step)
            {
                case SequenceRegion { Region: var region }:
                    for (int e = 0; e < region.Externals.Length; e++)
                    {
                        writers[region.Externals[e]]++;
                        covered[region.Externals[e]] = region.CoversGradient(e);
                    }
                    break;
                case SequenceProduct product:
                    writers[product.A]++;
                    covered[product.A] = true;
                    break;
                case SequenceEager eager:
                    foreach (int input in eager.Operation.Inputs.Distinct()) writers[input]++;
                    break;
            }
        foreach (int output in graph.Outputs) writers[output] += 2; // the cell's output gradients arrive first
        return Enumerable.Range(0, writers.Length)
            .Select(value => layouts[value] == SequenceLayout.PerStep && stored[value] && writers[value] == 1 && covered[value])
            .ToArray();
    }

    private static bool[] StoredValues(TracedGraph graph, IReadOnlyList<HoistedOperation> hoisted, IReadOnlyList<SequenceStep> steps,
        SequenceLayout[] layouts)
    {
        var stored = new bool[graph.Values.Count];
        for (int value = 0; value < stored.Length; value++) stored[value] = layouts[value] != SequenceLayout.PerStep;
        void Mark(IEnumerable<int> values)
        {
            foreach (int value in values) stored[value] = true;
        }
        Mark(graph.Outputs);
        foreach (var operation in hoisted.Select(h => h.Operation)) Mark(operation.Inputs.Append(operation.Output));
        foreach (var step in steps)
        {
            switch (step)
            {
                case SequenceRegion region:
                    Mark(region.Region.Externals);
                    Mark(region.Region.Outputs.Select(output => output.Value));
                    break;
                case SequenceProduct product: Mark(product.Operation.Inputs.Append(product.Operation.Output)); break;
                case SequenceEager eager: Mark(eager.Operation.Inputs.Append(eager.Operation.Output)); break;
            }
        }
        return stored;
    }

    /// <summary>
    /// True when the op can run once over the rows of all steps: every operand that changes with the step is the step input or a
    /// hoisted value [B, …], and the op treats rows independently with only row-broadcast parameters (linear, matmul by a parameter,
    /// layer norm, element-wise ops, narrow along the last axis).
    /// </summary>
    private static bool IsRowWise(TracedGraph graph, TracedOperation operation, int batch, bool[] stacked, SequenceLayout[] layouts)
    {
        var values = graph.Values;
        var output = values[operation.Output].Shape;
        if (output.Rank != 2 || output[0] != batch) return false;
        bool StackedRow(int value) => stacked[value] && values[value].Shape.Rank == 2 && values[value].Shape[0] == batch;
        bool Parameter(int value) => layouts[value] == SequenceLayout.Whole;
        switch (operation.Name)
        {
            case "linear":
                return StackedRow(operation.Inputs[0]) && operation.Inputs.Skip(1).All(Parameter);
            case "matmul":
                var (transposeA, _) = ((bool, bool))operation.Attributes!;
                return !transposeA && StackedRow(operation.Inputs[0]) && Parameter(operation.Inputs[1]);
            case "layer_norm":
                return StackedRow(operation.Inputs[0]) && operation.Inputs.Skip(1).All(Parameter);
            case "narrow":
                var (axis, _, _) = ((int, int, int))operation.Attributes!;
                return (axis == 1 || axis == -1) && StackedRow(operation.Inputs[0]);
            default:
                if (FusedInstruction.OpcodeOf(operation.Name) is null && operation.Name is not ("pow" or "leaky_relu")) return false;
                bool anyStacked = false;
                foreach (int input in operation.Inputs)
                {
                    var shape = values[input].Shape;
                    if (StackedRow(input)) anyStacked = true;
                    else if (!Parameter(input) || (shape.Rank >= 2 && shape.Dimensions[..^1].Any(size => size != 1))) return false;
                }
                return anyStacked;
        }
    }

    /// <summary>The op as a per-step product by a parameter, or null when it is not one.</summary>
    private static SequenceProduct? ProductOf(TracedGraph graph, TracedOperation operation, SequenceLayout[] layouts, int batch, int addend = -1)
    {
        if (operation.Name is not ("linear" or "matmul")) return null;
        var a = graph.Values[operation.Inputs[0]].Shape;
        var w = graph.Values[operation.Inputs[1]].Shape;
        if (a.Rank != 2 || a[0] != batch || w.Rank != 2 || layouts[operation.Inputs[0]] == SequenceLayout.Whole) return null;
        if (operation.Inputs.Skip(1).Any(input => layouts[input] != SequenceLayout.Whole)) return null;
        bool transposed = true;
        if (operation.Name == "matmul")
        {
            var (transposeA, transposeB) = ((bool, bool))operation.Attributes!;
            if (transposeA) return null;
            transposed = transposeB;
        }
        int n = transposed ? w[0] : w[1];
        return new SequenceProduct(operation, transposed, a[1], n, addend);
    }
}
