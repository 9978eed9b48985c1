namespace AutoDiffRnn.Compile;

/// <summary>
/// Grows one <see cref="FusedRegion"/> op by op (see <see cref="FusionPlanner"/>): each element-wise op becomes an instruction writing a
/// new register, each narrow along the last axis a narrowed operand, a layer_norm three instructions (normalise the row, times the
/// weight, plus the bias); tensors from outside become externals. <see cref="Build"/> picks
/// the outputs: the values read by ops outside the region or returned by the cell (a view among them is copied into a register).
/// </summary>
internal sealed class RegionBuilder(TracedGraph graph, List<TracedOperation>[] consumers)
{
    private int[]? rowDimensions;
    private readonly Dictionary<int, FusedOperand> operands = [];
    private readonly Dictionary<int, int> registerOf = [];
    private readonly HashSet<int> produced = [];
    private readonly HashSet<TracedOperation> members = new(ReferenceEqualityComparer.Instance);
    private readonly List<int> externals = [];
    private readonly List<FusedInstruction> instructions = [];
    private readonly List<int> widths = [];

    /// <summary>True when the region computes the value.</summary>
    public bool Produces(int value) => produced.Contains(value);

    /// <summary>True when the element-wise op fits the region's row space (same leading axes, or broadcast over rows).</summary>
    public bool Accepts(TracedOperation operation)
    {
        var candidate = rowDimensions;
        var output = graph.Values[operation.Output].Shape;
        int width = Width(output);
        foreach (var shape in operation.Inputs.Select(input => graph.Values[input].Shape).Prepend(output))
        {
            if (operation.Name != "narrow" && Width(shape) != width && Width(shape) != 1) return false;
            if (IsBroadcast(shape)) continue;
            var rows = shape.Dimensions[..^1];
            if (candidate is null) candidate = rows;
            else if (!candidate.AsSpan().SequenceEqual(rows)) return false;
        }
        return true;
    }

    /// <summary>Adds an accepted op.</summary>
    public void Add(TracedOperation operation)
    {
        var output = graph.Values[operation.Output].Shape;
        if (!IsBroadcast(output)) rowDimensions ??= output.Dimensions[..^1];
        foreach (var input in operation.Inputs)
            if (!IsBroadcast(graph.Values[input].Shape)) rowDimensions ??= graph.Values[input].Shape.Dimensions[..^1];
        members.Add(operation);
        produced.Add(operation.Output);
        if (operation.Name == "narrow")
        {
            var (_, start, length) = ((int, int, int))operation.Attributes!;
            operands[operation.Output] = OperandOf(operation.Inputs[0]).Narrow(start, length);
            return;
        }
        if (operation.Name == "layer_norm")
        {
            AddLayerNorm(operation);
            return;
        }
        var opcode = FusedInstruction.OpcodeOf(operation.Name)!.Value;
        double lower = double.NegativeInfinity, upper = double.PositiveInfinity;
        if (opcode == FusedOpcode.Clamp)
        {
            var (min, max) = ((double?, double?))operation.Attributes!;
            lower = min ?? double.NegativeInfinity;
            upper = max ?? double.PositiveInfinity;
        }
        if (opcode == FusedOpcode.Add && TryMultiplyAdd(operation)) return;
        var first = OperandOf(operation.Inputs[0]);
        FusedOperand? second = operation.Inputs.Length > 1 ? OperandOf(operation.Inputs[1]) : null;
        int register = NewRegister(Width(output));
        instructions.Add(new FusedInstruction(opcode, first, second, register, Width(output), lower, upper));
        operands[operation.Output] = new FusedOperand(OperandSource.Register, register, 0, Width(output), true, 0);
        registerOf[operation.Output] = register;
    }

    /// <summary>
    /// layer_norm over the last axis as instructions: the row standardised (a row reduction inside the row), times the weight, plus the
    /// bias (each a broadcast operand, as the eager op computes them).
    /// </summary>
    private void AddLayerNorm(TracedOperation operation)
    {
        var (epsilon, hasWeight, hasBias) = ((double, bool, bool))operation.Attributes!;
        int width = Width(graph.Values[operation.Output].Shape);
        var operand = Emit(FusedOpcode.Normalize, OperandOf(operation.Inputs[0]), null, width, epsilon: epsilon);
        if (hasWeight) operand = Emit(FusedOpcode.Multiply, operand, OperandOf(operation.Inputs[1]), width);
        if (hasBias) operand = Emit(FusedOpcode.Add, operand, OperandOf(operation.Inputs[hasWeight ? 2 : 1]), width);
        operands[operation.Output] = operand;
        registerOf[operation.Output] = operand.Index;
    }

    /// <summary>
    /// An add of a product computed in this region and read by nothing else, over full rows, becomes one multiply-add instruction in
    /// place of the multiply (whose register is then unused); false when the add is not such a sum.
    /// </summary>
    private bool TryMultiplyAdd(TracedOperation sum)
    {
        int width = Width(graph.Values[sum.Output].Shape);
        for (int k = 0; k < 2; k++)
        {
            int product = sum.Inputs[k], addend = sum.Inputs[1 - k];
            if (product == addend || !registerOf.TryGetValue(product, out int register) || graph.Outputs.Contains(product)
                || consumers[product].Count != 1) continue;
            var multiply = instructions.FindLast(instruction => instruction.Register == register);
            if (multiply is not { Opcode: FusedOpcode.Multiply, Second: { } second } || multiply.First.Width != width || second.Width != width) continue;
            var third = OperandOf(addend);
            if (third.Width != width) continue;
            instructions.Remove(multiply);
            var result = Emit(FusedOpcode.MultiplyAdd, multiply.First, second, width, third: third);
            operands[sum.Output] = result;
            registerOf[sum.Output] = result.Index;
            return true;
        }
        return false;
    }

    /// <summary>Appends one instruction into a new register; returns that register as an operand.</summary>
    private FusedOperand Emit(FusedOpcode opcode, FusedOperand first, FusedOperand? second, int width, double epsilon = 0, FusedOperand? third = null)
    {
        int register = NewRegister(width);
        instructions.Add(new FusedInstruction(opcode, first, second, register, width, Epsilon: epsilon, Third: third));
        return new FusedOperand(OperandSource.Register, register, 0, width, true, 0);
    }

    /// <summary>The region, with its outputs.</summary>
    public FusedStep Build()
    {
        var outputs = new List<FusedOutput>();
        foreach (var value in produced.Order())
        {
            bool neededOutside = graph.Outputs.Contains(value) || consumers[value].Any(consumer => !members.Contains(consumer));
            if (!neededOutside) continue;
            if (!registerOf.TryGetValue(value, out int register))
            {
                var view = operands[value];
                register = NewRegister(view.Width);
                instructions.Add(new FusedInstruction(FusedOpcode.Copy, view, null, register, view.Width));
            }
            var shape = graph.Values[value].Shape;
            outputs.Add(new FusedOutput(register, value, shape, !IsBroadcast(shape)));
        }
        int rows = rowDimensions?.Aggregate(1, (product, size) => product * size) ?? 1;
        return new FusedStep(new FusedRegion(rows, externals.ToArray(), instructions.ToArray(), widths.ToArray(), outputs.ToArray()));
    }

    private int NewRegister(int width)
    {
        widths.Add(width);
        return widths.Count - 1;
    }

    private FusedOperand OperandOf(int value)
    {
        if (operands.TryGetValue(value, out var operand)) return operand;
        var shape = graph.Values[value].Shape;
        externals.Add(value);
        operand = new FusedOperand(OperandSource.External, externals.Count - 1, 0, Width(shape), !IsBroadcast(shape), Width(shape));
        operands[value] = operand;
        return operand;
    }

    /// <summary>The length of a row: the last axis (1 for a scalar).</summary>
    private static int Width(Shape shape) => shape.Rank == 0 ? 1 : shape.Dimensions[^1];

    /// <summary>True when every leading axis is 1: the same row for every row of the region.</summary>
    private static bool IsBroadcast(Shape shape) => shape.Dimensions[..Math.Max(0, shape.Rank - 1)].All(size => size == 1);
}
