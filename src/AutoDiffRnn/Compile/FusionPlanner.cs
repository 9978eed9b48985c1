namespace AutoDiffRnn.Compile;

/// <summary>
/// Turns a traced graph into steps. Ops are scheduled in a dependency order that runs every ready non-element-wise op first (the
/// matrix products of a cell usually need only its arguments) and then grows the current fused region as long as element-wise ops are
/// ready, so each maximal chain of element-wise ops over one row space becomes one <see cref="FusedRegion"/>. Element-wise means add, sub,
/// mul, div, neg, sigmoid, tanh, relu, exp, log, sqrt, abs, clamp, narrow along the last axis (a view: an offset into the row), and
/// layer_norm (over the last axis: a reduction within the row, so it stays inside the region).
/// Operands must be full (same leading axes as the region), broadcast over rows (leading axes 1, like a bias), or per-row scalars
/// (last axis 1); anything else runs eagerly.
/// </summary>
internal static class FusionPlanner
{
    /// <summary>
    /// The steps of the graph, or throws <see cref="NotSupportedException"/> naming an op the compiler cannot replay. Ops in
    /// <paramref name="precomputed"/> are left out, their outputs taken as given (a compiled recurrence computes them before its time loop).
    /// </summary>
    public static List<ProgramStep> Plan(TracedGraph graph, IReadOnlySet<TracedOperation>? precomputed = null)
    {
        foreach (var operation in graph.Operations)
            if (!OperationReplay.IsKnown(operation))
                throw new NotSupportedException($"the op '{operation.Name}' is not known to the compiler");

        var values = graph.Values;
        var consumers = new List<TracedOperation>[values.Count];
        for (int v = 0; v < values.Count; v++) consumers[v] = [];
        var missing = new Dictionary<TracedOperation, int>(ReferenceEqualityComparer.Instance);
        var available = new bool[values.Count];
        foreach (var value in values) available[value.Id] = value.Kind != TracedValueKind.Computed;
        var operations = graph.Operations.Where(operation => precomputed is null || !precomputed.Contains(operation)).ToList();
        if (precomputed is not null)
            foreach (var operation in precomputed) available[operation.Output] = true;
        foreach (var operation in operations)
        {
            foreach (var input in operation.Inputs.Distinct()) consumers[input].Add(operation);
            missing[operation] = operation.Inputs.Distinct().Count(input => !available[input]);
        }
        var ready = operations.Where(operation => missing[operation] == 0).ToList();

        var steps = new List<ProgramStep>();
        RegionBuilder? open = null;
        void Close()
        {
            if (open is null) return;
            steps.Add(open.Build());
            open = null;
        }
        void Done(TracedOperation operation)
        {
            ready.Remove(operation);
            foreach (var consumer in consumers[operation.Output])
                if (--missing[consumer] == 0) ready.Add(consumer);
        }

        while (ready.Count > 0)
        {
            var independent = ready.FirstOrDefault(operation => !IsFusable(graph, operation) && (open is null || !operation.Inputs.Any(open.Produces)));
            if (independent is not null)
            {
                steps.Add(new EagerStep(independent, values[independent.Output].Shape));
                Done(independent);
                continue;
            }
            var joining = ready.FirstOrDefault(operation => IsFusable(graph, operation) && (open?.Accepts(operation) ?? false));
            if (joining is not null)
            {
                open!.Add(joining);
                Done(joining);
                continue;
            }
            var fusable = ready.FirstOrDefault(operation => IsFusable(graph, operation));
            if (fusable is not null)
            {
                Close();
                open = new RegionBuilder(graph, consumers);
                if (!open.Accepts(fusable)) throw new InvalidOperationException($"compiled cell: a fresh region refused '{fusable.Name}'");
                open.Add(fusable);
                Done(fusable);
                continue;
            }
            Close(); // the remaining ready ops read the open region
        }
        Close();
        if (missing.Values.Any(count => count > 0))
            throw new InvalidOperationException("compiled cell: the traced graph has a cycle");
        return steps;
    }

    /// <summary>True for the ops a region can run: element-wise ops, narrow along the last axis, layer_norm.</summary>
    private static bool IsFusable(TracedGraph graph, TracedOperation operation)
    {
        if (operation.Name == "narrow")
        {
            var (axis, _, _) = ((int, int, int))operation.Attributes!;
            return axis == graph.Values[operation.Inputs[0]].Shape.Rank - 1;
        }
        if (operation.Name == "layer_norm") return operation.Attributes is not null; // always over the last axis: within a row
        if (FusedInstruction.OpcodeOf(operation.Name) is null) return false;
        return operation.Name != "clamp" || operation.Attributes is not null;
    }
}
