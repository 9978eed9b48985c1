namespace AutoDiffRnn.Compile;

/// <summary>A value a fused region writes out for later steps or the cell's outputs: the register holding it, and its tensor's shape.</summary>
internal sealed record FusedOutput(int Register, int Value, Shape Shape, bool VariesByRow);

/// <summary>
/// A maximal chain of element-wise ops over one row space, compiled into a list of span instructions. The region runs row by row
/// (a row is the last axis; the leading axes are the rows): for each row every instruction runs over the whole row in one vectorized
/// span kernel, into registers that live in one small scratch array reused for every row and call (it stays in the L1 cache). Narrows
/// along the last axis are offsets, broadcast operands are re-read for every row, nothing else is allocated.
/// The backward takes the row's registers (recomputed, or read from where the forward saved them: a compiled recurrence that records)
/// and runs the instructions' derivatives in reverse order into gradient registers of the same layout; gradients of broadcast operands
/// accumulate over rows.
/// </summary>
internal sealed record FusedRegion(
    int Rows,
    int[] Externals,
    FusedInstruction[] Instructions,
    int[] RegisterWidths,
    FusedOutput[] Outputs)
{
    /// <summary>Where each register starts in the scratch row.</summary>
    public int[] RegisterOffsets { get; } = Offsets(RegisterWidths);

    /// <summary>The total width of the registers (the scratch row's length).</summary>
    public int ScratchWidth { get; } = RegisterWidths.Sum();

    private readonly (int[] Registers, int[] Offsets, int Width) saved = SavedLayout(Instructions, RegisterWidths);

    /// <summary>
    /// The registers the backward reads (an activation's output, a product's or quotient's operands, the operand of log, abs, clamp and
    /// a normalisation), in register order: the only ones a compiled recurrence keeps from the forward for every row and step.
    /// </summary>
    public int[] SavedRegisters => saved.Registers;

    /// <summary>Where each of <see cref="SavedRegisters"/> starts in a saved row (the registers packed end to end).</summary>
    public int[] SavedOffsets => saved.Offsets;

    /// <summary>The length of a saved row: the widths of <see cref="SavedRegisters"/>.</summary>
    public int SavedWidth => saved.Width;

    private readonly (bool[][] Stores, bool[] Covered) writes = GradientWrites(Instructions, Externals.Length);

    /// <summary>
    /// Per instruction and operand (first, second, third): true when, in the backward's reverse order, this is the first write into its
    /// columns of an external's gradient and the columns of every write into that external are the same or disjoint: it may store
    /// instead of adding when the external's gradient buffer is not cleared (<see cref="CoversGradient"/>).
    /// </summary>
    public bool StoresFirst(int instruction, int operand) => writes.Stores[instruction][operand];

    /// <summary>
    /// True when the backward writes every column of external <paramref name="external"/>'s gradient row, each through writes of the same
    /// columns or disjoint ones, at full rows (not a broadcast operand, not a per-row scalar): with the first write of each column storing
    /// (<see cref="StoresFirst"/>), the gradient buffer needs no clearing when nothing else writes into it.
    /// </summary>
    public bool CoversGradient(int external) => writes.Covered[external];

    /// <summary>The widest instruction (the length of a temporary in the backward).</summary>
    public int MaxWidth => RegisterWidths.DefaultIfEmpty(1).Max();

    private static (int[] Registers, int[] Offsets, int Width) SavedLayout(FusedInstruction[] instructions, int[] widths)
    {
        var read = new bool[widths.Length];
        void Mark(FusedOperand? operand)
        {
            if (operand is { Source: OperandSource.Register } register) read[register.Index] = true;
        }
        foreach (var instruction in instructions)
            switch (instruction.Opcode)
            {
                case FusedOpcode.Multiply or FusedOpcode.MultiplyAdd or FusedOpcode.Divide:
                    Mark(instruction.First);
                    Mark(instruction.Second);
                    break;
                case FusedOpcode.Sigmoid or FusedOpcode.Tanh or FusedOpcode.Relu or FusedOpcode.Exp or FusedOpcode.Sqrt:
                    read[instruction.Register] = true;
                    break;
                case FusedOpcode.Log or FusedOpcode.Abs or FusedOpcode.Clamp:
                    Mark(instruction.First);
                    break;
                case FusedOpcode.Normalize:
                    Mark(instruction.First);
                    read[instruction.Register] = true;
                    break;
            }
        var registers = Enumerable.Range(0, widths.Length).Where(register => read[register]).ToArray();
        var savedWidths = registers.Select(register => widths[register]).ToArray();
        return (registers, Offsets(savedWidths), savedWidths.Sum());
    }

    private static (bool[][] Stores, bool[] Covered) GradientWrites(FusedInstruction[] instructions, int externalCount)
    {
        var stores = instructions.Select(_ => new bool[3]).ToArray();
        var intervals = Enumerable.Range(0, externalCount).Select(_ => new List<(int Start, int End)>()).ToArray();
        var covered = Enumerable.Repeat(true, externalCount).ToArray();
        var width = new int[externalCount];
        for (int i = instructions.Length - 1; i >= 0; i--) // the backward's order
        {
            var instruction = instructions[i];
            FusedOperand?[] operands = [instruction.First, instruction.Second, instruction.Third];
            int[] order = instruction.Opcode == FusedOpcode.MultiplyAdd ? [2, 0, 1] : [0, 1]; // the order the runner writes them in
            foreach (int k in order)
            {
                if (operands[k] is not { Source: OperandSource.External } operand) continue;
                int e = operand.Index;
                width[e] = operand.RowStride;
                if (!operand.VariesByRow || operand.Width != instruction.Width)
                {
                    covered[e] = false;
                    continue;
                }
                var interval = (Start: operand.Offset, End: operand.Offset + operand.Width);
                if (intervals[e].Contains(interval)) continue; // written before in this order: this write adds
                if (intervals[e].Any(other => other.Start < interval.End && interval.Start < other.End)) covered[e] = false;
                intervals[e].Add(interval);
                stores[i][k] = true;
            }
        }
        for (int e = 0; e < externalCount; e++)
            covered[e] &= intervals[e].Count > 0 && intervals[e].Sum(interval => interval.End - interval.Start) == width[e];
        return (stores, covered);
    }

    private static int[] Offsets(int[] widths)
    {
        var offsets = new int[widths.Length];
        for (int i = 1; i < widths.Length; i++) offsets[i] = offsets[i - 1] + widths[i - 1];
        return offsets;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"fused region: {Rows} rows, {Instructions.Length} instructions ({string.Join(" ", Instructions.Select(i => i.Opcode))}), " +
        $"{Externals.Length} inputs, {Outputs.Length} outputs";
}
