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
