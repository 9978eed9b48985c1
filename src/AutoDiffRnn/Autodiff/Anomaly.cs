using System.Diagnostics;

namespace AutoDiffRnn.Autodiff;

/// <summary>
/// Anomaly mode, as PyTorch's <c>torch.autograd.detect_anomaly</c>: inside <c>using (Anomaly.Detect()) { ... }</c> every operation's
/// output is checked in the forward pass and every gradient in the backward pass, and the first NaN or infinity throws an
/// <see cref="AnomalyException"/> naming the operation, its input shapes, where it was recorded (the calling file and line) and the
/// chain of operations from the leaves. Per thread and off by default; when off it costs one thread-static read per operation.
/// </summary>
public static class Anomaly
{
    [ThreadStatic] private static bool enabled;
    [ThreadStatic] private static Node? backwardOf;
    private const int ChainLength = 8;

    /// <summary>True while anomaly detection is on for this thread.</summary>
    public static bool IsEnabled => enabled;

    /// <summary>Turns anomaly detection on for this thread until the returned scope is disposed.</summary>
    public static IDisposable Detect() => Set(on: true);

    /// <summary>Turns anomaly detection off for this thread until the returned scope is disposed (undoes an enclosing <see cref="Detect"/>).</summary>
    public static IDisposable Suspend() => Set(on: false);

    private static IDisposable Set(bool on)
    {
        var scope = new Scope(enabled);
        enabled = on;
        return scope;
    }

    private sealed class Scope(bool previous) : IDisposable
    {
        public void Dispose() => enabled = previous;
    }

    /// <summary>The recording site of an operation being recorded now: kept on its node, so a backward failure can tell it.</summary>
    internal static string CurrentRecordingSite() => RecordingSite.Describe(new StackTrace(skipFrames: 1, fNeedFileInfo: true));

    /// <summary>Throws if the output of <paramref name="operationName"/> holds NaN or infinity (the forward check).</summary>
    internal static void CheckOutput(string operationName, Tensor output, Tensor[] inputs)
    {
        if (Finiteness.AllFinite(output)) return;
        if (backwardOf is Node node)
            throw BackwardFailure(node, $"the backward of '{node.OperationName}' produced {Finiteness.Describe(output)} in its '{operationName}' " +
                                        $"(on {DescribeInputs(inputs)})");
        throw new AnomalyException(AnomalyPass.Forward, operationName, inputs.Select(i => i.Shape).ToArray(),
            $"anomaly mode (forward): '{operationName}' produced {Finiteness.Describe(output)} from inputs {DescribeInputs(inputs)}; " +
            $"recorded {RecordingSite.Describe(new StackTrace(skipFrames: 1, fNeedFileInfo: true))}; op chain from the leaves: {Chain(operationName, inputs)}");
    }

    /// <summary>
    /// Runs <paramref name="node"/>'s vector-Jacobian product and throws if a gradient it returns holds NaN or infinity
    /// (the backward check); operations its VJP runs are checked too and name it.
    /// </summary>
    internal static Tensor?[] ApplyChecked(Node node, Tensor outputGradient)
    {
        var previous = backwardOf;
        backwardOf = node;
        Tensor?[] inputGradients;
        try { inputGradients = node.Apply(outputGradient); }
        finally { backwardOf = previous; }
        for (int i = 0; i < inputGradients.Length; i++)
            if (inputGradients[i] is Tensor gradient && !Finiteness.AllFinite(gradient))
                throw BackwardFailure(node, $"the backward of '{node.OperationName}' returned {Finiteness.Describe(gradient)} in the gradient of its input {i} " +
                                            $"({node.Inputs[i].DType.Name()} {node.Inputs[i].Shape}; incoming gradient " +
                                            $"{(Finiteness.AllFinite(outputGradient) ? "finite" : Finiteness.Describe(outputGradient))})");
        return inputGradients;
    }

    private static AnomalyException BackwardFailure(Node node, string what) =>
        new(AnomalyPass.Backward, node.OperationName, node.Inputs.Select(input => input.Shape).ToArray(),
            $"anomaly mode (backward): {what}; '{node.OperationName}' had inputs {DescribeInputs(node.Inputs)} and was recorded " +
            $"{node.RecordedAt ?? "before anomaly mode was turned on"}; op chain from the leaves: {Chain(node.OperationName, node.Inputs)}");

    private static string DescribeInputs(IReadOnlyList<Tensor> inputs) =>
        string.Join(", ", inputs.Select(input => $"{input.DType.Name()} {input.Shape} ({(Finiteness.AllFinite(input) ? "finite" : Finiteness.Describe(input))})"));

    /// <summary>"leaf → mul → add → log": the recorded operations leading to this one, along the first recorded input of each.</summary>
    private static string Chain(string operationName, IReadOnlyList<Tensor> inputs)
    {
        var names = new List<string> { operationName };
        var next = inputs.FirstOrDefault(input => input.GradFn is not null)?.GradFn;
        while (next is not null && names.Count < ChainLength)
        {
            names.Add(next.OperationName);
            next = next.Inputs.FirstOrDefault(input => input.GradFn is not null)?.GradFn;
        }
        names.Add(next is null ? "leaf" : "...");
        names.Reverse();
        return string.Join(" → ", names);
    }
}
