using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn.Compile;

/// <summary>What one forward run of a <see cref="CompiledProgram"/> keeps for its backward: every value, and the tape nodes of its eager steps.</summary>
internal sealed class ProgramRun(Tensor?[] values, bool[] needsGradient, Node?[] eagerNodes)
{
    /// <summary>The tensor of every value (arguments, constants, computed).</summary>
    public Tensor?[] Values { get; } = values;

    /// <summary>Which values depend on an argument that requires gradients.</summary>
    public bool[] NeedsGradient { get; } = needsGradient;

    /// <summary>Per step, the node the eager op recorded (null for fused steps and when nothing needed gradients).</summary>
    public Node?[] EagerNodes { get; } = eagerNodes;
}

/// <summary>
/// A traced cell compiled into steps (<see cref="FusionPlanner"/>): runs them forward, and backward in reverse order, each fused region
/// through its compiled backward and each eager op through its own vector-Jacobian product.
/// </summary>
internal sealed class CompiledProgram(TracedGraph graph, IReadOnlyList<ProgramStep> steps)
{
    /// <summary>The traced graph.</summary>
    public TracedGraph Graph { get; } = graph;

    /// <summary>The steps, in execution order.</summary>
    public IReadOnlyList<ProgramStep> Steps { get; } = steps;

    /// <summary>The plan of this cell over a whole sequence (made on first use; null when the cell's shapes do not fit one).</summary>
    public SequencePlan? SequencePlan => sequencePlan.Value;

    private readonly Lazy<SequencePlan?> sequencePlan = new(() => AutoDiffRnn.Compile.SequencePlan.For(graph));

    /// <summary>Compiles a traced graph, or throws <see cref="NotSupportedException"/> for an op the compiler cannot replay.</summary>
    public static CompiledProgram Compile(TracedGraph graph) => new(graph, FusionPlanner.Plan(graph));

    /// <summary>Runs the cell on <paramref name="arguments"/> (explicit arguments, then captured parameters).</summary>
    public ProgramRun Forward(Tensor[] arguments, bool saveForBackward)
    {
        var values = new Tensor?[Graph.Values.Count];
        var needsGradient = new bool[Graph.Values.Count];
        foreach (var value in Graph.Values)
        {
            if (value.Kind == TracedValueKind.Argument)
            {
                values[value.Id] = arguments[value.ArgumentIndex];
                needsGradient[value.Id] = saveForBackward && arguments[value.ArgumentIndex].RequiresGrad;
            }
            else if (value.Kind == TracedValueKind.Constant) values[value.Id] = value.Constant;
        }
        foreach (var operation in Graph.Operations)
            needsGradient[operation.Output] = operation.Inputs.Any(input => needsGradient[input]);

        var nodes = new Node?[Steps.Count];
        for (int s = 0; s < Steps.Count; s++)
        {
            switch (Steps[s])
            {
                case FusedStep fused:
                    RunFused(fused.Region, values);
                    break;
                case EagerStep eager:
                    nodes[s] = RunEager(eager, values, needsGradient);
                    break;
            }
        }
        return new ProgramRun(values, needsGradient, nodes);
    }

    /// <summary>The gradients of the arguments (null where none is needed) given those of the outputs (null for none).</summary>
    public Tensor?[] Backward(ProgramRun run, Tensor?[] outputGradients)
    {
        var gradients = new Tensor?[Graph.Values.Count];
        var owned = new bool[Graph.Values.Count];
        for (int k = 0; k < Graph.Outputs.Length; k++)
            if (outputGradients[k] is { } gradient) Accumulate(gradients, owned, Graph.Outputs[k], gradient);

        for (int s = Steps.Count - 1; s >= 0; s--)
        {
            switch (Steps[s])
            {
                case FusedStep fused:
                    BackwardFused(fused.Region, run, gradients, owned);
                    break;
                case EagerStep eager:
                    if (gradients[eager.Operation.Output] is not { } outputGradient) break;
                    gradients[eager.Operation.Output] = null;
                    if (run.EagerNodes[s] is not { } node)
                    {
                        // the op returned its input itself (a no-op reshape): the gradient passes through
                        if (run.NeedsGradient[eager.Operation.Inputs[0]]) Accumulate(gradients, owned, eager.Operation.Inputs[0], outputGradient);
                        break;
                    }
                    var inputGradients = node.Apply(outputGradient);
                    for (int i = 0; i < eager.Operation.Inputs.Length; i++)
                        if (inputGradients[i] is { } inputGradient && run.NeedsGradient[eager.Operation.Inputs[i]])
                            Accumulate(gradients, owned, eager.Operation.Inputs[i], inputGradient);
                    break;
            }
        }
        var result = new Tensor?[Graph.ArgumentCount];
        foreach (var value in Graph.Values)
            if (value.Kind == TracedValueKind.Argument && run.NeedsGradient[value.Id]) result[value.ArgumentIndex] = gradients[value.Id];
        return result;
    }

    private void RunFused(FusedRegion region, Tensor?[] values)
    {
        var outputs = region.Outputs.Select(output => Tensor.Empty(output.Shape, Graph.DType)).ToArray();
        if (Graph.DType == DType.Float32) FusedRegionRunner.Forward(region, Segments<float>(region.Externals.Select(value => values[value])), Segments<float>(outputs));
        else FusedRegionRunner.Forward(region, Segments<double>(region.Externals.Select(value => values[value])), Segments<double>(outputs));
        for (int k = 0; k < outputs.Length; k++) values[region.Outputs[k].Value] = outputs[k];
    }

    private void BackwardFused(FusedRegion region, ProgramRun run, Tensor?[] gradients, bool[] owned)
    {
        var outputGradients = new Tensor?[region.Outputs.Length];
        bool any = false;
        for (int k = 0; k < outputGradients.Length; k++)
        {
            int value = region.Outputs[k].Value;
            outputGradients[k] = gradients[value];
            gradients[value] = null;
            any |= outputGradients[k] is not null;
        }
        if (!any) return;
        var externals = region.Externals.Select(value => run.Values[value]);
        var externalGradients = region.Externals
            .Select(value => run.NeedsGradient[value] ? Tensor.Empty(Graph.Values[value].Shape, Graph.DType) : null).ToArray();
        if (Graph.DType == DType.Float32)
            FusedRegionRunner.Backward(region, Segments<float>(externals), Segments<float>(outputGradients), Segments<float>(externalGradients));
        else FusedRegionRunner.Backward(region, Segments<double>(externals), Segments<double>(outputGradients), Segments<double>(externalGradients));
        for (int e = 0; e < externalGradients.Length; e++)
            if (externalGradients[e] is { } gradient) Accumulate(gradients, owned, region.Externals[e], gradient, isNew: true);
    }

    /// <summary>Each tensor's storage as a segment (default for null).</summary>
    private static ArraySegment<T>[] Segments<T>(IEnumerable<Tensor?> tensors) =>
        tensors.Select(tensor => tensor is null ? default : new ArraySegment<T>((T[])tensor.Storage)).ToArray();

    private Node? RunEager(EagerStep step, Tensor?[] values, bool[] needsGradient)
    {
        var operation = step.Operation;
        bool record = needsGradient[operation.Output];
        var inputs = operation.Inputs.Select(input => record && needsGradient[input] ? values[input]!.Detach().SetRequiresGrad() : values[input]!.Detach()).ToArray();
        Tensor output;
        using (GradMode.Set(enabled: record))
            output = OperationReplay.Run(operation, inputs, step.OutputShape);
        values[operation.Output] = output;
        return record ? output.GradFn : null;
    }

    private static void Accumulate(Tensor?[] gradients, bool[] owned, int value, Tensor gradient, bool isNew = false)
    {
        if (gradients[value] is not { } sum)
        {
            gradients[value] = gradient;
            owned[value] = isNew;
        }
        else if (owned[value]) sum.AddInPlace(gradient);
        else
        {
            gradients[value] = sum + gradient;
            owned[value] = true;
        }
    }
}
