namespace AutoDiffRnn.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation in two functions.
/// <para><see cref="Record"/>: every operation, after computing its output, calls it with its inputs and its
/// vector-Jacobian product. If recording is on and some input requires gradients, the output remembers a
/// <see cref="Node"/> (its <see cref="Tensor.GradFn"/>): the tape is the graph of these nodes.</para>
/// <para><see cref="Backward"/>: orders the graph so every tensor comes after the tensors it was computed from,
/// then walks it from the output backwards. Each tensor's gradient is complete when it is reached (everything
/// that used it came later and was already visited); the node's vector-Jacobian product turns it into gradients
/// for the node's inputs, which are summed per input. Leaves add what reaches them to their <see cref="Tensor.Grad"/>.</para>
/// <para>Under <see cref="Anomaly.Detect"/> both check for NaN and infinity: every recorded output, and every gradient a node returns.</para>
/// </summary>
public static class Tape
{
    /// <summary>
    /// Records that <paramref name="output"/> was computed from <paramref name="inputs"/>, if recording is on and
    /// an input requires gradients; returns <paramref name="output"/>. <paramref name="release"/>, if given, runs when a backward
    /// pass frees the node (without <c>retainGraph</c>), after which the vector-Jacobian product can no longer run: an op can then
    /// hand buffers it saved for the backward back to a pool. <paramref name="attributes"/>, if given, are the op's settings beyond its
    /// inputs (e.g. narrow's axis, start and length), kept on the node so that a compiler can replay the op (<see cref="Node.Attributes"/>).
    /// </summary>
    public static Tensor Record(string operationName, Tensor output, Tensor[] inputs, VectorJacobianProduct vectorJacobianProduct,
        Action? release = null, object? attributes = null)
    {
        if (Anomaly.IsEnabled)
            Anomaly.CheckOutput(operationName, output, inputs);
        if (!GradMode.IsEnabled || !inputs.Any(input => input.RequiresGrad))
            return output;
        output.GradFn = new Node(operationName, inputs, vectorJacobianProduct, release) { Attributes = attributes, RecordedAt = Anomaly.IsEnabled ? Anomaly.CurrentRecordingSite() : null };
        output.MarkRequiresGrad();
        return output;
    }

    /// <summary>Runs the backward pass from <paramref name="output"/>; see <see cref="Tensor.Backward"/>.</summary>
    public static void Backward(Tensor output, Tensor? outputGradient = null, bool retainGraph = false, bool createGraph = false)
    {
        if (!output.RequiresGrad)
            throw new InvalidOperationException(
                $"backward: the tensor of shape {output.Shape} does not require gradients: none of the tensors it was computed from " +
                "has RequiresGrad set, or it was computed inside GradMode.NoGrad()");
        outputGradient ??= output.ElementCount == 1
            ? Tensor.OnesLike(output)
            : throw new InvalidOperationException(
                $"backward: the output has shape {output.Shape}, not a single element; reduce it to a scalar first (e.g. .Sum()) " +
                "or pass an output gradient of the same shape to compute a vector-Jacobian product");
        if (outputGradient.Shape != output.Shape || outputGradient.DType != output.DType)
            throw new ArgumentException(
                $"backward: the output gradient is {outputGradient.DType.Name()} {outputGradient.Shape} but the output is {output.DType.Name()} {output.Shape}; they must match");

        using var scratch = BackwardScratch.Rent(); // the last pass's collections, emptied
        var gradients = scratch.Gradients;
        gradients[output] = outputGradient;
        var owned = scratch.Owned; // gradient sums allocated here, safe to add into
        // Gradients this pass creates are its own: once consumed they go back to the storage pool (a leaf adopts the last one it gets).
        // Only first-order passes recycle; a recorded backward keeps every gradient, as its graph may read them.
        var recycling = createGraph ? null : scratch.Recycling.Begin();
        using var recording = GradMode.Set(enabled: createGraph);
        var order = TopologicalOrder(output, scratch);
        for (int position = order.Count - 1; position >= 0; position--)
        {
            var tensor = order[position];
            if (!gradients.Remove(tensor, out var gradient))
                continue;
            recycling?.Unplace(gradient);
            var node = tensor.GradFn;
            if (node is null)
            {
                AccumulateIntoLeaf(tensor, gradient, createGraph, recycling);
                continue;
            }
            // while the product runs, PendingGradient may offer it the sums of this pass (first order only; see below)
            var outer = running;
            running = createGraph || Anomaly.IsEnabled ? null : (node, gradient, scratch); // anomaly mode checks every contribution
            Tensor?[] inputGradients;
            try { inputGradients = Anomaly.IsEnabled ? Anomaly.ApplyChecked(node, gradient) : node.Apply(gradient); }
            finally { running = outer; }
            if (!retainGraph && !createGraph)
                node.Free();
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var input = node.Inputs[i];
                var inputGradient = inputGradients[i];
                if (inputGradient is null)
                    continue; // no gradient flows to this input, or the product added it into the pending sum itself (PendingGradient)
                if (!input.RequiresGrad)
                {
                    recycling?.ConsumeAfterNode(inputGradient); // computed for an input that needs none (e.g. a fused op's zero initial state)
                    continue;
                }
                if (inputGradient.Shape != input.Shape)
                    throw new InvalidOperationException(
                        $"backward: '{node.OperationName}' returned a gradient of shape {inputGradient.Shape} for its input {i} of shape {input.Shape}");
                // sum it with what the input already received: the first gradient is kept as is; a recorded pass adds with a recorded
                // op; a sum this pass allocated is updated in place; any other (a tensor someone else may hold) is replaced by a new sum
                if (!gradients.TryGetValue(input, out var sum))
                {
                    gradients[input] = inputGradient;
                    recycling?.Place(inputGradient);
                }
                else if (createGraph)
                    gradients[input] = sum + inputGradient;
                else if (owned.Contains(sum))
                {
                    sum.AddInPlace(inputGradient); // a sum this pass allocated: nobody else sees it
                    recycling?.ConsumeAfterNode(inputGradient);
                }
                else
                {
                    var total = sum + inputGradient;
                    owned.Add(total);
                    gradients[input] = total;
                    recycling!.Unplace(sum);
                    recycling.Place(total);
                    recycling.ConsumeAfterNode(sum);
                    recycling.ConsumeAfterNode(inputGradient);
                }
            }
            // only now: the node may have returned one gradient for several inputs (add), or its own incoming gradient (a no-op reshape)
            recycling?.ConsumeAfterNode(gradient);
            recycling?.NodeDone();
        }
    }

    /// <summary>The node whose vector-Jacobian product a first-order pass on this thread is running, its output gradient and the pass's collections.</summary>
    [ThreadStatic] private static (Node Node, Tensor OutputGradient, BackwardScratch Scratch)? running;

    /// <summary>
    /// For the vector-Jacobian product of <paramref name="node"/> while a first-order backward pass runs it: the gradient the pass has
    /// summed so far for <paramref name="input"/>, when the pass created it and holds it alone (no other place, view or leaf has it, and
    /// it is not the node's own output gradient), so that the product can add its contribution into it (a weight gradient as a GEMM
    /// with accumulation, a narrow's slice) and return null for that input instead of a new tensor to be added. Otherwise null: in a
    /// recorded pass (<c>createGraph</c>), under <see cref="Anomaly.Detect"/> (which checks each node's
    /// gradients), for another node (e.g. one a compiled cell's backward runs itself), for a first contribution.
    /// </summary>
    internal static Tensor? PendingGradient(Node? node, Tensor input)
    {
        if (node is null || running is not { } current || current.Node != node) return null;
        return current.Scratch.Gradients.TryGetValue(input, out var sum) && sum != current.OutputGradient
            && current.Scratch.Recycling.CanAddInto(sum) ? sum : null;
    }

    /// <summary>
    /// The gradients of Σₖ ⟨outputGradients[k], outputs[k]⟩ with respect to <paramref name="inputs"/> (any tensors of the graph, not only
    /// leaves; null where none flows), like <c>torch.autograd.grad</c> with <c>create_graph</c> when recording is on: the graph is walked
    /// back from the outputs down to the inputs, nothing is accumulated into leaves and no node is freed. Used by compiled cells for
    /// gradients of gradients.
    /// </summary>
    internal static Tensor?[] Gradients(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?> outputGradients, IReadOnlyList<Tensor> inputs)
    {
        var stops = new HashSet<Tensor>(inputs, ReferenceEqualityComparer.Instance);
        var gradients = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        for (int k = 0; k < outputs.Count; k++)
            if (outputGradients[k] is { } seed && outputs[k].RequiresGrad)
                gradients[outputs[k]] = gradients.TryGetValue(outputs[k], out var sum) ? sum + seed : seed;
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        foreach (var output in outputs)
        {
            if (!visited.Add(output)) continue;
            stack.Push((output, 0));
            while (stack.Count > 0)
            {
                var (tensor, nextInput) = stack.Pop();
                var nodeInputs = stops.Contains(tensor) ? null : tensor.GradFn?.Inputs;
                if (nodeInputs is not null && nextInput < nodeInputs.Count)
                {
                    stack.Push((tensor, nextInput + 1));
                    var input = nodeInputs[nextInput];
                    if (input.RequiresGrad && visited.Add(input)) stack.Push((input, 0));
                    continue;
                }
                order.Add(tensor);
            }
        }
        for (int position = order.Count - 1; position >= 0; position--)
        {
            var tensor = order[position];
            if (stops.Contains(tensor) || tensor.GradFn is not { } node || !gradients.Remove(tensor, out var gradient)) continue;
            var inputGradients = node.Apply(gradient);
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var input = node.Inputs[i];
                if (inputGradients[i] is not { } inputGradient || !input.RequiresGrad) continue;
                gradients[input] = gradients.TryGetValue(input, out var sum) ? sum + inputGradient : inputGradient;
            }
        }
        return inputs.Select(input => gradients.GetValueOrDefault(input)).ToArray();
    }

    private static void AccumulateIntoLeaf(Tensor leaf, Tensor gradient, bool createGraph, GradientRecycling? recycling)
    {
        if (leaf.Grad is null)
        {
            // a gradient of its own, safe to update in place: the one this pass created if nothing else holds it, else a copy
            var own = createGraph ? gradient : recycling!.CanAdopt(gradient) ? gradient : gradient.Detach().Clone();
            if (!createGraph)
            {
                own.KeepPastScope();
                own.IsLibraryGradient = true;
                recycling!.Adopted(own);
                recycling.Consumed(gradient); // the copied one, if it was copied
            }
            leaf.Grad = own;
        }
        else if (createGraph)
            leaf.Grad = leaf.Grad + gradient;
        else
        {
            leaf.Grad.AddInPlace(gradient);
            recycling!.Consumed(gradient);
        }
    }

    /// <summary>Every tensor reachable from <paramref name="output"/> through recorded nodes, inputs before outputs (in the scratch's collections).</summary>
    private static List<Tensor> TopologicalOrder(Tensor output, BackwardScratch scratch)
    {
        var (order, visited, stack) = (scratch.Order, scratch.Visited, scratch.Pending);
        visited.Add(output);
        stack.Push((output, 0));
        while (stack.Count > 0)
        {
            var (tensor, nextInput) = stack.Pop();
            var inputs = tensor.GradFn?.Inputs;
            if (inputs is not null && nextInput < inputs.Count)
            {
                stack.Push((tensor, nextInput + 1));
                var input = inputs[nextInput];
                if (input.RequiresGrad && visited.Add(input))
                    stack.Push((input, 0));
                continue;
            }
            order.Add(tensor); // all of its inputs are already in the order
        }
        return order;
    }
}
