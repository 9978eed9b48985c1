using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn.Compile;

/// <summary>
/// Traces a cell function through the tape: runs it once on stand-ins of the example arguments that require gradients (so every op
/// reached from them is recorded), then walks the recorded nodes back from the returned tensors. Leaves reached that are not arguments
/// become captured parameters (when they require gradients) or constants (when they do not). Ops computed only from constants are not
/// recorded, so their results are constants of the trace.
/// </summary>
internal static class CellTracer
{
    /// <summary>Traces <paramref name="function"/> on <paramref name="arguments"/>; also returns the eager outputs of that run.</summary>
    public static TracedGraph Trace(Func<Tensor[], Tensor[]> function, Tensor[] arguments)
    {
        var dtype = arguments[0].DType;
        for (int i = 0; i < arguments.Length; i++)
            if (arguments[i].DType != dtype)
                throw new ArgumentException(
                    $"compiled cell: argument {i} is {arguments[i].DType.Name()} {arguments[i].Shape} but argument 0 is {dtype.Name()} {arguments[0].Shape}; all must share one element type");
        var standIns = arguments.Select(argument => argument.Detach().SetRequiresGrad()).ToArray();
        Tensor[] outputs;
        using (GradMode.Enable())
            outputs = function(standIns);
        if (outputs is null || outputs.Length == 0)
            throw new ArgumentException("compiled cell: the function returned no tensors; it must return the new state (and any outputs)");

        var ids = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        var values = new List<TracedValue>();
        var operations = new List<TracedOperation>();
        var parameters = new List<Tensor>();
        for (int i = 0; i < standIns.Length; i++)
        {
            ids[standIns[i]] = values.Count;
            values.Add(new TracedValue(values.Count, standIns[i].Shape, TracedValueKind.Argument, ArgumentIndex: i));
        }

        int Visit(Tensor root)
        {
            var stack = new Stack<(Tensor Tensor, int NextInput)>();
            if (!ids.ContainsKey(root)) stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (tensor, next) = stack.Pop();
                var node = tensor.GradFn;
                if (node is not null && next < node.Inputs.Count)
                {
                    stack.Push((tensor, next + 1));
                    var input = node.Inputs[next];
                    if (!ids.ContainsKey(input)) stack.Push((input, 0));
                    continue;
                }
                if (ids.ContainsKey(tensor)) continue; // reached twice through the stack
                if (tensor.DType != dtype)
                    throw new NotSupportedException(
                        $"compiled cell: the function mixes element types ({tensor.DType.Name()} {tensor.Shape} in a {dtype.Name()} cell)");
                int id = values.Count;
                ids[tensor] = id;
                if (node is not null)
                {
                    values.Add(new TracedValue(id, tensor.Shape, TracedValueKind.Computed));
                    operations.Add(new TracedOperation(node.OperationName, node.Inputs.Select(input => ids[input]).ToArray(), id, node.Attributes));
                }
                else if (tensor.RequiresGrad)
                {
                    values.Add(new TracedValue(id, tensor.Shape, TracedValueKind.Argument, ArgumentIndex: standIns.Length + parameters.Count));
                    parameters.Add(tensor);
                }
                else values.Add(new TracedValue(id, tensor.Shape, TracedValueKind.Constant, Constant: tensor));
            }
            return ids[root];
        }

        var outputIds = outputs.Select(output => output is null
            ? throw new ArgumentException("compiled cell: the function returned a null tensor")
            : Visit(output)).ToArray();
        return new TracedGraph(values, operations, outputIds, standIns.Length, parameters, dtype);
    }
}
