namespace AutoDiffRnn.Compile;

/// <summary>Where a value of a traced graph comes from.</summary>
internal enum TracedValueKind
{
    /// <summary>An argument of the cell call (input, state) or a captured parameter that requires gradients.</summary>
    Argument,

    /// <summary>A tensor the function read that needs no gradient (a captured constant, a scalar of <c>x + 1.0</c>): read by reference at every call.</summary>
    Constant,

    /// <summary>The output of a traced operation.</summary>
    Computed,
}

/// <summary>One tensor of a traced graph: its shape, and where it comes from.</summary>
/// <param name="Id">Its index in <see cref="TracedGraph.Values"/>.</param>
/// <param name="Shape">Its shape at trace time (the compiled form is specialised to it).</param>
/// <param name="Kind">Argument, constant or computed.</param>
/// <param name="ArgumentIndex">For an argument, its position among the call's arguments (explicit ones first, then captured parameters).</param>
/// <param name="Constant">For a constant, the tensor itself.</param>
internal sealed record TracedValue(int Id, Shape Shape, TracedValueKind Kind, int ArgumentIndex = -1, Tensor? Constant = null);

/// <summary>One traced operation: its tape name, the values it read, the value it made and its recorded settings (<see cref="Autodiff.Node.Attributes"/>).</summary>
internal sealed record TracedOperation(string Name, int[] Inputs, int Output, object? Attributes);

/// <summary>
/// A cell function as a graph: the values (arguments, constants, computed), the operations in a valid execution order and the values
/// the function returned.
/// </summary>
internal sealed record TracedGraph(
    IReadOnlyList<TracedValue> Values,
    IReadOnlyList<TracedOperation> Operations,
    int[] Outputs,
    int ExplicitArgumentCount,
    IReadOnlyList<Tensor> CapturedParameters,
    DType DType)
{
    /// <summary>The number of arguments: the explicit ones, then the captured parameters.</summary>
    public int ArgumentCount => ExplicitArgumentCount + CapturedParameters.Count;

    /// <summary>The operation that computes each value (null for arguments and constants).</summary>
    public TracedOperation?[] ProducerOf()
    {
        var producers = new TracedOperation?[Values.Count];
        foreach (var operation in Operations) producers[operation.Output] = operation;
        return producers;
    }
}
