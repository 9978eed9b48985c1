using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn.Compile;

/// <summary>
/// A compiled cell over a whole sequence as ONE op on the tape ("compiled_recurrence"), run by <see cref="SequenceRun{T}"/> following
/// the cell's <see cref="SequencePlan"/>: products that do not depend on the state are hoisted out of the time loop, weight gradients are
/// one GEMM over all steps, per-step values live in buffers rented once per sequence. Its output packs the step outputs [T, B, H] and
/// the final states end to end; <see cref="Recurrence"/> hands out views of it. Gradients of gradients re-run the sequence eagerly.
/// </summary>
internal static class CompiledRecurrence
{
    /// <summary>The op's name on the tape.</summary>
    public const string OperationName = "compiled_recurrence";

    /// <summary>One direction over <paramref name="inputs"/> [T, B, I] (T and B at least 1; checked by the caller).</summary>
    public static (Tensor Output, Tensor[] Final) Run(CompiledCell cell, SequencePlan plan, Tensor inputs, Tensor[] initialState, int[]? lengths,
        bool reverse)
    {
        Tensor[] arguments = [inputs, .. initialState, .. plan.Graph.CapturedParameters];
        bool record = GradMode.IsEnabled && arguments.Any(argument => argument.RequiresGrad);
        lengths = (int[]?)lengths?.Clone(); // the backward reads them later
        int steps = inputs.Shape[0];
        int outputCount = steps * initialState[0].ElementCount;
        var packed = Tensor.Uninitialized(new Shape(outputCount + initialState.Sum(state => state.ElementCount)), inputs.DType);
        ISequenceRun run = inputs.DType == DType.Float32
            ? new SequenceRun<float>(plan, inputs, initialState, lengths, reverse, record)
            : new SequenceRun<double>(plan, inputs, initialState, lengths, reverse, record);
        try { run.Forward(packed); }
        catch
        {
            run.Release();
            throw;
        }
        if (!record) run.Release();
        else
            packed = Tape.Record(OperationName, packed, arguments, gradient => GradMode.IsEnabled
                ? EagerGradients(cell, inputs, initialState, lengths, reverse, arguments, gradient)
                : run.Backward(gradient), release: run.Release);

        var output = packed.Narrow(0, 0, outputCount).Reshape([steps, .. initialState[0].Shape.Dimensions]);
        var final = new Tensor[initialState.Length];
        for (int k = 0, offset = outputCount; k < final.Length; offset += initialState[k].ElementCount, k++)
            final[k] = packed.Narrow(0, offset, initialState[k].ElementCount).Reshape(initialState[k].Shape.Dimensions);
        return (output, final);
    }

    /// <summary>The backward for gradients of gradients: the sequence again, eagerly, differentiated with the graph recorded.</summary>
    private static Tensor?[] EagerGradients(CompiledCell cell, Tensor inputs, Tensor[] initialState, int[]? lengths, bool reverse, Tensor[] arguments,
        Tensor gradient)
    {
        var (output, final) = Recurrence.RunSteps(cell.StepEagerly, cell.Name, inputs, initialState, lengths, reverse);
        var packed = Tensor.Concat([output.Reshape(-1), .. final.Select(state => state.Reshape(-1))], 0);
        return Tape.Gradients([packed], [gradient], arguments);
    }
}
