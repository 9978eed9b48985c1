using System.Text;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn.Compile;

/// <summary>
/// A recurrent cell traced and compiled per argument shape (see <see cref="Compiled.Cell"/>). Each call records one node
/// ("compiled_cell") on the tape, whose vector-Jacobian product runs the compiled backward; float64 values and gradients equal those
/// of the same function run eagerly (to rounding of the order in which gradients are summed).
/// </summary>
/// <remarks>
/// <para>What is compiled: maximal chains of element-wise ops (add, sub, mul, div, neg, sigmoid, tanh, relu, exp, log, sqrt, abs, clamp,
/// scalar operands, narrow/chunk/split of the last axis, and layer_norm, whose per-row mean and variance are a reduction within the row)
/// become one fused region each, run row by row with one vectorized span kernel per instruction and no intermediate tensors; matrix
/// products, other reductions and layout ops run as their own ops (the packed GEMM).</para>
/// <para>Fallbacks: a function using an op the compiler cannot replay (e.g. dropout, where, a custom op) runs eagerly as a whole, with
/// the reason in <see cref="FallbackReason"/>. Gradients of gradients (<c>Backward(createGraph: true)</c>) through a compiled call are not
/// compiled: the call's backward then re-runs the function eagerly on the call's arguments and differentiates that graph.</para>
/// <para>Ops that depend only on constants (tensors that need no gradient) are evaluated once, at trace time; a captured tensor is read by
/// reference, so parameters updated in place by an optimizer are seen by later calls. One instance is not meant for concurrent calls
/// from several threads while it compiles.</para>
/// </remarks>
public sealed class CompiledCell
{
    private readonly Func<Tensor, Tensor[], Tensor[]> step;
    private readonly Dictionary<string, CompiledProgram?> programs = [];

    private readonly bool compile;

    internal CompiledCell(Func<Tensor, Tensor[], Tensor[]> step, string name, bool compile)
    {
        this.step = step ?? throw new ArgumentNullException(nameof(step));
        Name = name;
        this.compile = compile;
    }

    /// <summary>The cell's name.</summary>
    public string Name { get; }

    /// <summary>How many times the function was traced and compiled (once per distinct argument shapes and element type).</summary>
    public int CompilationCount { get; private set; }

    /// <summary>Why the last compilation fell back to running the function eagerly, or null when it compiled.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>
    /// One step: the input and the state tensors in, the new state out (its first tensor is the cell's output). Compiles on the first
    /// call with these shapes.
    /// </summary>
    public Tensor[] Step(Tensor input, params Tensor[] state)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(state);
        var arguments = state.Prepend(input).ToArray();
        var program = compile ? ProgramFor(arguments) : null;
        return program is null ? step(input, state) : Replay(program, arguments);
    }

    /// <summary>Runs the function eagerly, op by op on the tape, without compiling (the reference the compiled form is tested against).</summary>
    public Tensor[] StepEagerly(Tensor input, params Tensor[] state) => step(input, state);

    /// <summary>The compiled plan for arguments of these shapes (compiling if needed), one line per step: for diagnostics and tests.</summary>
    public string Describe(Tensor input, params Tensor[] state)
    {
        var program = ProgramFor(state.Prepend(input).ToArray());
        if (program is null) return $"{Name}: runs eagerly ({FallbackReason})";
        var text = new StringBuilder($"{Name}: {program.Steps.Count} steps, {program.Graph.CapturedParameters.Count} captured parameters");
        foreach (var programStep in program.Steps)
            text.AppendLine().Append("  ").Append(programStep switch
            {
                FusedStep fused => fused.Region.ToString(),
                EagerStep eager => $"eager {eager.Operation.Name} -> {eager.OutputShape}",
                _ => programStep.ToString(),
            });
        return text.ToString();
    }

    /// <summary>The plan of the cell over a sequence for step arguments of these shapes, or null when it must run step by step.</summary>
    internal SequencePlan? SequencePlanFor(Tensor input, Tensor[] state) => compile ? ProgramFor(state.Prepend(input).ToArray())?.SequencePlan : null;

    /// <summary>
    /// The plan of the cell over a sequence (<see cref="Recurrence"/>) for step arguments of these shapes, one line per op hoisted out of
    /// the time loop and per step of the loop: for diagnostics and tests.
    /// </summary>
    public string DescribeSequence(Tensor input, params Tensor[] state)
    {
        if (SequencePlanFor(input, state) is not { } plan)
            return $"{Name}: runs step by step ({FallbackReason ?? "its state is not [B, ...] or its outputs do not match it"})";
        var text = new StringBuilder($"{Name} over a sequence: {plan.Hoisted.Count} ops hoisted, {plan.Steps.Count} steps per time step");
        int uncleared = plan.UnclearedGradients.Count(value => value);
        if (uncleared > 0) text.AppendLine().Append($"  gradient buffers stored into without clearing (one writer per step): {uncleared}");
        foreach (var hoisted in plan.Hoisted)
            text.AppendLine().Append(hoisted.Stacked ? "  hoisted over all steps: " : "  hoisted once: ").Append(hoisted.Operation.Name);
        foreach (var step in plan.Steps)
            text.AppendLine().Append("  per step: ").Append(step switch
            {
                SequenceRegion region => region.Region.ToString(),
                SequenceProduct product => $"{product.Operation.Name} by a packed parameter [{product.K} -> {product.N}]"
                    + (product.Addend >= 0 ? ", accumulated onto a value hoisted over all steps (the add folded in)" : ""),
                SequenceEager eager => $"eager {eager.Operation.Name} -> {eager.OutputShape}",
                _ => step.ToString(),
            });
        return text.ToString();
    }

    /// <summary>The compiled plan for the arguments' shapes, or null when the function must run eagerly.</summary>
    internal CompiledProgram? ProgramFor(Tensor[] arguments)
    {
        var key = string.Join(";", arguments.Select(argument => argument.DType.Name() + argument.Shape));
        if (programs.TryGetValue(key, out var program)) return program;
        // traced and compiled once, kept for later calls: what the trace creates (a constant such as the 1 of 1 − z) must outlive the
        // caller's TensorScope, so it is created outside any scope
        var graph = TensorScope.Outside(() => CellTracer.Trace(values => step(values[0], values[1..]), arguments));
        CompilationCount++;
        try
        {
            program = TensorScope.Outside(() => CompiledProgram.Compile(graph));
            FallbackReason = null;
        }
        catch (NotSupportedException unsupported)
        {
            program = null;
            FallbackReason = unsupported.Message;
        }
        programs[key] = program;
        return program;
    }

    private Tensor[] Replay(CompiledProgram program, Tensor[] explicitArguments)
    {
        var arguments = explicitArguments.Concat(program.Graph.CapturedParameters).ToArray();
        bool record = GradMode.IsEnabled && arguments.Any(argument => argument.RequiresGrad);
        var run = program.Forward(arguments, saveForBackward: record);
        var outputs = program.Graph.Outputs.Select(value => run.Values[value]!.Detach()).ToArray();
        if (!record) return outputs;

        Tensor?[] Backward(Tensor?[] outputGradients) => GradMode.IsEnabled
            ? EagerGradients(explicitArguments, arguments, outputGradients)
            : program.Backward(run, outputGradients);

        if (outputs.Length == 1)
            return [Tape.Record("compiled_cell", outputs[0], arguments, g => Backward([g]))];

        // several outputs: one node over all of them, packed end to end; each output is a slice of the packed tensor
        int total = outputs.Sum(output => output.ElementCount);
        var packed = Tensor.Empty(new Shape(total), program.Graph.DType);
        for (int k = 0, offset = 0; k < outputs.Length; offset += outputs[k].ElementCount, k++)
            Array.Copy(outputs[k].Storage, 0, packed.Storage, offset, outputs[k].ElementCount);
        var node = Tape.Record("compiled_cell", packed, arguments, g =>
        {
            var gradients = new Tensor?[outputs.Length];
            for (int k = 0, offset = 0; k < outputs.Length; offset += outputs[k].ElementCount, k++)
            {
                var part = Tensor.Empty(outputs[k].Shape, g.DType);
                Array.Copy(g.Storage, offset, part.Storage, 0, part.ElementCount);
                gradients[k] = part;
            }
            return Backward(gradients);
        });
        var result = new Tensor[outputs.Length];
        for (int k = 0, offset = 0; k < outputs.Length; offset += outputs[k].ElementCount, k++)
            result[k] = node.Narrow(0, offset, outputs[k].ElementCount).Reshape(outputs[k].Shape);
        return result;
    }

    /// <summary>
    /// The call's backward for gradients of gradients: the function again, eagerly, on the call's arguments, differentiated with the
    /// graph recorded (so the result can be differentiated once more).
    /// </summary>
    private Tensor?[] EagerGradients(Tensor[] explicitArguments, Tensor[] arguments, Tensor?[] outputGradients)
    {
        var outputs = step(explicitArguments[0], explicitArguments[1..]);
        return Tape.Gradients(outputs, outputGradients, arguments);
    }
}
