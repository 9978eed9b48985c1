namespace AutoDiffRnn.Compile;

/// <summary>The element-wise operations a fused region runs (one span kernel each, over one row of the region at a time).</summary>
internal enum FusedOpcode
{
    /// <summary>The operand itself (materialises a view such as a narrowed gate block).</summary>
    Copy,
    Add,
    Subtract,
    Multiply,
    Divide,
    Negate,
    Sigmoid,
    Tanh,
    Relu,
    Exp,
    Log,
    Sqrt,
    Abs,
    /// <summary>Limits to [Lower, Upper] (an absent bound is an infinity).</summary>
    Clamp,
    /// <summary>
    /// Standardises the row (a row reduction): (a − mean) / √(var + ε) with the biased variance over the operand's width and ε in
    /// <see cref="FusedInstruction.Epsilon"/>; layer_norm is this, then a multiply by its weight and an add of its bias.
    /// </summary>
    Normalize,
    /// <summary>First · Second + <see cref="FusedInstruction.Third"/> (a product read only by a sum, fused into one pass: c = f c + i g).</summary>
    MultiplyAdd,
}

/// <summary>Where an operand of a fused instruction is read.</summary>
internal enum OperandSource
{
    /// <summary>A register: the current row of a value computed earlier in the region.</summary>
    Register,

    /// <summary>A tensor computed before the region (or an argument, or a constant).</summary>
    External,
}

/// <summary>
/// One operand: a source, an offset and a width within the source's row (a narrow along the last axis only moves the offset), and for
/// an external tensor whether its row changes with the region's row (full) or is the same for every row (broadcast, e.g. a bias
/// [4H] under gates [B, 4H]). A width of 1 under a wider instruction is a per-row scalar (e.g. a [B, 1] mean under [B, H]).
/// </summary>
internal readonly record struct FusedOperand(OperandSource Source, int Index, int Offset, int Width, bool VariesByRow, int RowStride)
{
    /// <summary>The same source narrowed to [start, start + length) of this operand's columns.</summary>
    public FusedOperand Narrow(int start, int length) => this with { Offset = Offset + start, Width = length };
}

/// <summary>
/// One instruction: <see cref="Opcode"/> applied to <see cref="First"/> (and <see cref="Second"/>) into register <see cref="Register"/>,
/// whose width is <see cref="Width"/>. <see cref="Lower"/> and <see cref="Upper"/> are a clamp's bounds, <see cref="Epsilon"/> a
/// normalisation's ε, <see cref="Third"/> a multiply-add's addend.
/// </summary>
internal sealed record FusedInstruction(FusedOpcode Opcode, FusedOperand First, FusedOperand? Second, int Register, int Width,
    double Lower = double.NegativeInfinity, double Upper = double.PositiveInfinity, double Epsilon = 0, FusedOperand? Third = null)
{
    /// <summary>True for the opcodes with two operands.</summary>
    public static bool IsBinary(FusedOpcode opcode) => opcode is FusedOpcode.Add or FusedOpcode.Subtract or FusedOpcode.Multiply or FusedOpcode.Divide;

    /// <summary>The opcode for a traced op name, or null when the op is not element-wise.</summary>
    public static FusedOpcode? OpcodeOf(string operationName) => operationName switch
    {
        "add" => FusedOpcode.Add,
        "sub" => FusedOpcode.Subtract,
        "mul" => FusedOpcode.Multiply,
        "div" => FusedOpcode.Divide,
        "neg" => FusedOpcode.Negate,
        "sigmoid" => FusedOpcode.Sigmoid,
        "tanh" => FusedOpcode.Tanh,
        "relu" => FusedOpcode.Relu,
        "exp" => FusedOpcode.Exp,
        "log" => FusedOpcode.Log,
        "sqrt" => FusedOpcode.Sqrt,
        "abs" => FusedOpcode.Abs,
        "clamp" => FusedOpcode.Clamp,
        _ => null,
    };
}
