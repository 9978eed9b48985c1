namespace AutoDiffRnn.Autodiff;

/// <summary>
/// The vector-Jacobian product of one recorded operation: given the gradient of the objective with respect to
/// the operation's output, returns the gradient with respect to each input (in input order; null for an input
/// that needs none). It is written with tensor operations, so that when the backward pass is itself recorded
/// (<c>createGraph</c>) the gradients can be differentiated again.
/// </summary>
public delegate Tensor?[] VectorJacobianProduct(Tensor outputGradient);

/// <summary>
/// One recorded operation on the tape: the edge from an output tensor back to the inputs it was computed from,
/// with the function that turns the output's gradient into the inputs' gradients.
/// </summary>
public sealed class Node
{
    private VectorJacobianProduct? vectorJacobianProduct;
    private Action? release;

    internal Node(string operationName, Tensor[] inputs, VectorJacobianProduct vectorJacobianProduct, Action? release = null)
    {
        OperationName = operationName;
        Inputs = inputs;
        this.vectorJacobianProduct = vectorJacobianProduct;
        this.release = release;
    }

    /// <summary>The name of the operation, as in error messages (e.g. "matmul").</summary>
    public string OperationName { get; }

    /// <summary>Where the operation was recorded (caller file and line), kept only in <see cref="Anomaly"/> mode; otherwise null.</summary>
    public string? RecordedAt { get; internal init; }

    /// <summary>
    /// The operation's settings beyond its inputs, for ops whose output they change (e.g. narrow's (axis, start, length) as a value tuple),
    /// or null. Read by the cell compiler (<c>AutoDiffRnn.Compile</c>) to replay a traced op.
    /// </summary>
    public object? Attributes { get; internal init; }

    /// <summary>The tensors the operation read.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>
    /// True once a backward pass without <c>retainGraph</c> went through this node and released the tensors its
    /// vector-Jacobian product had saved.
    /// </summary>
    public bool IsFreed => vectorJacobianProduct is null;

    /// <summary>Applies the vector-Jacobian product, or throws if the graph was freed.</summary>
    internal Tensor?[] Apply(Tensor outputGradient) =>
        (vectorJacobianProduct ?? throw new InvalidOperationException(
            $"backward: the graph through '{OperationName}' was already freed by an earlier Backward(); " +
            "pass retainGraph: true to the first Backward() to run backward through the same graph twice, " +
            "or recompute the forward pass"))(outputGradient);

    /// <summary>Releases the saved tensors (the closure of the vector-Jacobian product) and runs the op's release action, once.</summary>
    internal void Free()
    {
        vectorJacobianProduct = null;
        var action = release;
        release = null;
        action?.Invoke();
    }

    /// <inheritdoc />
    public override string ToString() => $"{OperationName}({string.Join(", ", Inputs.Select(input => input.Shape))})";
}
