namespace AutoDiffRnn.Autodiff;

/// <summary>Which pass anomaly mode caught a NaN or infinity in.</summary>
public enum AnomalyPass
{
    /// <summary>An operation's output.</summary>
    Forward,

    /// <summary>A gradient returned by an operation's vector-Jacobian product.</summary>
    Backward,
}

/// <summary>
/// Thrown by <see cref="Anomaly"/> mode at the first NaN or infinity: the message names the operation, its input shapes, where it was
/// recorded and the chain of operations from the leaves.
/// </summary>
public sealed class AnomalyException(AnomalyPass pass, string operationName, IReadOnlyList<Shape> inputShapes, string message)
    : ArithmeticException(message)
{
    /// <summary>The pass in which the non-finite value appeared.</summary>
    public AnomalyPass Pass { get; } = pass;

    /// <summary>The operation whose output (forward) or whose input gradient (backward) was not finite.</summary>
    public string OperationName { get; } = operationName;

    /// <summary>The shapes of that operation's inputs.</summary>
    public IReadOnlyList<Shape> InputShapes { get; } = inputShapes;
}
