using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Compile;

/// <summary>
/// Runs a <see cref="FusedRegion"/>: the forward row by row, and the backward (the row's registers, then the derivatives in reverse).
/// Each instruction is one span kernel over a whole row, the same kernels the eager ops use (a normalisation: its row reduction in the
/// eager layer_norm's order), so float64 values match the eager graph exactly. A row's registers live in a pooled scratch row, and the
/// backward recomputes them; or, given a saved buffer (a compiled recurrence that records), in that buffer's row, written by the forward
/// and read back by the backward instead of recomputing. Nothing is allocated per row or per call beyond the region's outputs.
/// </summary>
internal static class FusedRegionRunner
{
    /// <summary>
    /// Computes the region's outputs into <paramref name="outputs"/> (one segment per <see cref="FusedRegion.Outputs"/> entry), reading
    /// <paramref name="externals"/> (one segment per <see cref="FusedRegion.Externals"/> entry). A segment is a tensor's storage or, in a
    /// compiled recurrence, one step's slice of a buffer stacked over time. With <paramref name="firstRow"/> and <paramref name="rowCount"/>
    /// only those rows run (a compiled recurrence splits the batch over the cores). With <paramref name="saved"/> (Rows × SavedWidth)
    /// each row's registers that the backward reads are written there, for <see cref="Backward{T}"/> to read.
    /// </summary>
    public static void Forward<T>(FusedRegion region, ArraySegment<T>[] externals, ArraySegment<T>[] outputs, int firstRow = 0, int rowCount = -1,
        ArraySegment<T> saved = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pooled = ArrayPool<T>.Shared.Rent(Math.Max(1, region.ScratchWidth));
        try
        {
            for (int row = firstRow, end = EndRow(region, firstRow, rowCount); row < end; row++)
            {
                var scratch = pooled.AsSpan(0, region.ScratchWidth);
                RunRow<T>(region, externals, scratch, row);
                if (saved.Array is not null) Save(region, scratch, SavedRow(region, saved, row));
                for (int k = 0; k < region.Outputs.Length; k++)
                {
                    var destination = OutputRow(region, k, outputs[k], row, firstRow);
                    if (!destination.IsEmpty) Register(region, scratch, region.Outputs[k].Register).CopyTo(destination);
                }
            }
        }
        finally { ArrayPool<T>.Shared.Return(pooled); }
    }

    /// <summary>
    /// Adds the gradients of the region's externals into <paramref name="externalGradients"/> (segments of the externals' sizes, default
    /// where no gradient is needed), given the gradients of its outputs (default for an output that received none). With
    /// <paramref name="firstRow"/> and <paramref name="rowCount"/> only those rows run. With <paramref name="saved"/> the registers are
    /// those the forward saved there, not recomputed. Where <paramref name="uncleared"/> marks an external, its gradient segment was not
    /// cleared (the region is the only writer and covers it, <see cref="FusedRegion.CoversGradient"/>): the first write of each of its
    /// columns stores instead of adding (<see cref="FusedRegion.StoresFirst"/>).
    /// </summary>
    public static void Backward<T>(FusedRegion region, ArraySegment<T>[] externals, ArraySegment<T>[] outputGradients, ArraySegment<T>[] externalGradients,
        int firstRow = 0, int rowCount = -1, ArraySegment<T> saved = default, bool[]? uncleared = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Math.Max(1, region.ScratchWidth), widest = Math.Max(1, region.MaxWidth);
        var pooled = ArrayPool<T>.Shared.Rent(width);
        var gradients = ArrayPool<T>.Shared.Rent(width);
        var temporary = ArrayPool<T>.Shared.Rent(widest);
        var second = ArrayPool<T>.Shared.Rent(widest);
        try
        {
            for (int row = firstRow, end = EndRow(region, firstRow, rowCount); row < end; row++)
            {
                var scratch = pooled.AsSpan(0, region.ScratchWidth);
                if (saved.Array is null) RunRow<T>(region, externals, scratch, row); // recompute the row (or read what the forward saved)
                else Restore(region, SavedRow(region, saved, row), scratch);
                gradients.AsSpan(0, width).Clear();
                for (int k = 0; k < region.Outputs.Length; k++)
                {
                    var incoming = OutputRow(region, k, outputGradients[k], row, firstRow);
                    var target = Register(region, gradients, region.Outputs[k].Register);
                    if (!incoming.IsEmpty) TensorPrimitives.Add(target, incoming, target);
                }
                for (int i = region.Instructions.Length - 1; i >= 0; i--)
                    BackwardInstruction(region, i, externals, externalGradients, scratch, gradients, temporary, second, row, uncleared);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(pooled);
            ArrayPool<T>.Shared.Return(gradients);
            ArrayPool<T>.Shared.Return(temporary);
            ArrayPool<T>.Shared.Return(second);
        }
    }

    private static int EndRow(FusedRegion region, int firstRow, int rowCount) => rowCount < 0 ? region.Rows : firstRow + rowCount;

    /// <summary>A register's span in a scratch row (values or gradients).</summary>
    private static Span<T> Register<T>(FusedRegion region, Span<T> scratch, int register) =>
        scratch.Slice(region.RegisterOffsets[register], region.RegisterWidths[register]);

    /// <summary>Row <paramref name="row"/> of a saved buffer (Rows × <see cref="FusedRegion.SavedWidth"/>).</summary>
    private static Span<T> SavedRow<T>(FusedRegion region, ArraySegment<T> saved, int row) =>
        saved.AsSpan().Slice(row * region.SavedWidth, region.SavedWidth);

    /// <summary>Copies the registers the backward reads (<see cref="FusedRegion.SavedRegisters"/>) from the row's registers into its saved row.</summary>
    private static void Save<T>(FusedRegion region, ReadOnlySpan<T> scratch, Span<T> savedRow)
    {
        for (int s = 0; s < region.SavedRegisters.Length; s++)
        {
            int register = region.SavedRegisters[s];
            scratch.Slice(region.RegisterOffsets[register], region.RegisterWidths[register]).CopyTo(savedRow[region.SavedOffsets[s]..]);
        }
    }

    /// <summary>Copies a saved row back into the registers it came from (the other registers are not read by the backward).</summary>
    private static void Restore<T>(FusedRegion region, ReadOnlySpan<T> savedRow, Span<T> scratch)
    {
        for (int s = 0; s < region.SavedRegisters.Length; s++)
        {
            int register = region.SavedRegisters[s];
            savedRow.Slice(region.SavedOffsets[s], region.RegisterWidths[register]).CopyTo(scratch[region.RegisterOffsets[register]..]);
        }
    }

    /// <summary>
    /// Output <paramref name="k"/>'s row <paramref name="row"/> in <paramref name="segment"/> (its values, or its gradient), or empty where
    /// there is none: no segment, or an output the same for every row (broadcast), which is written and read at the first row only.
    /// </summary>
    private static Span<T> OutputRow<T>(FusedRegion region, int k, ArraySegment<T> segment, int row, int firstRow)
    {
        var output = region.Outputs[k];
        if (segment.Array is null || (!output.VariesByRow && row > firstRow)) return [];
        int width = region.RegisterWidths[output.Register];
        return segment.AsSpan().Slice(output.VariesByRow ? row * width : 0, width);
    }

    private static void RunRow<T>(FusedRegion region, ArraySegment<T>[] externals, Span<T> scratch, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var instruction in region.Instructions)
        {
            var destination = scratch.Slice(region.RegisterOffsets[instruction.Register], instruction.Width);
            var a = Read<T>(region, instruction.First, externals, scratch, row);
            switch (instruction.Opcode)
            {
                case FusedOpcode.Copy:
                    if (a.Length == destination.Length) a.CopyTo(destination);
                    else destination.Fill(a[0]);
                    break;
                case FusedOpcode.Add: Binary<AddOp.Kernel, T>(a, Read<T>(region, instruction.Second!.Value, externals, scratch, row), destination); break;
                case FusedOpcode.Subtract: Binary<SubtractOp.Kernel, T>(a, Read<T>(region, instruction.Second!.Value, externals, scratch, row), destination); break;
                case FusedOpcode.Multiply: Binary<MultiplyOp.Kernel, T>(a, Read<T>(region, instruction.Second!.Value, externals, scratch, row), destination); break;
                case FusedOpcode.Divide: Binary<DivideOp.Kernel, T>(a, Read<T>(region, instruction.Second!.Value, externals, scratch, row), destination); break;
                case FusedOpcode.Negate: NegateOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Sigmoid: SigmoidOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Tanh: TanhOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Relu: ReluOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Exp: ExpOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Log: LogOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Sqrt: SqrtOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Abs: AbsOp.Kernel.Apply(a, destination); break;
                case FusedOpcode.Clamp:
                    if (!double.IsNegativeInfinity(instruction.Lower))
                    {
                        TensorPrimitives.Max(a, T.CreateChecked(instruction.Lower), destination);
                        if (!double.IsPositiveInfinity(instruction.Upper)) TensorPrimitives.Min(destination, T.CreateChecked(instruction.Upper), destination);
                    }
                    else TensorPrimitives.Min(a, T.CreateChecked(instruction.Upper), destination);
                    break;
                case FusedOpcode.Normalize:
                    FusedDerivatives.Normalize(a, destination, T.CreateChecked(instruction.Epsilon));
                    break;
                case FusedOpcode.MultiplyAdd:
                    TensorPrimitives.MultiplyAdd(a, Read<T>(region, instruction.Second!.Value, externals, scratch, row),
                        Read<T>(region, instruction.Third!.Value, externals, scratch, row), destination);
                    break;
                default: throw new InvalidOperationException($"compiled cell: unknown fused opcode {instruction.Opcode}");
            }
        }
    }

    /// <summary>
    /// The derivatives of one instruction for the row, added into its operands' gradients: one pass per operand where the derivative
    /// fits one kernel (a product's dA += g·b, an activation's dA += g·f′), else through <paramref name="temporaryArray"/>.
    /// </summary>
    private static void BackwardInstruction<T>(FusedRegion region, int index, ArraySegment<T>[] externals, ArraySegment<T>[] externalGradients,
        Span<T> scratch, T[] gradients, T[] temporaryArray, T[] secondArray, int row, bool[]? uncleared) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var instruction = region.Instructions[index];
        // whether the write into operand k's gradient stores (its first write into an uncleared external gradient) instead of adding
        bool Stores(int k, in FusedOperand operand) =>
            uncleared is not null && operand.Source == OperandSource.External && uncleared[operand.Index] && region.StoresFirst(index, k);
        int width = instruction.Width;
        ReadOnlySpan<T> g = gradients.AsSpan(region.RegisterOffsets[instruction.Register], width);
        ReadOnlySpan<T> y = scratch.Slice(region.RegisterOffsets[instruction.Register], width);
        var temporary = temporaryArray.AsSpan(0, width);
        var first = instruction.First;
        var target = Target(region, first, externalGradients, gradients, row);
        switch (instruction.Opcode)
        {
            case FusedOpcode.Copy:
            case FusedOpcode.Add:
                Accumulate(target, g, Stores(0, first));
                if (instruction.Second is { } addend) Accumulate(Target(region, addend, externalGradients, gradients, row), g, Stores(1, addend));
                return;
            case FusedOpcode.Subtract:
            {
                Accumulate(target, g, Stores(0, first));
                var subtrahendOperand = instruction.Second!.Value;
                var subtrahend = Target(region, subtrahendOperand, externalGradients, gradients, row);
                if (subtrahend.Length == width && Stores(1, subtrahendOperand)) TensorPrimitives.Negate(g, subtrahend);
                else if (subtrahend.Length == width) TensorPrimitives.Subtract(subtrahend, g, subtrahend);
                else
                {
                    TensorPrimitives.Negate(g, temporary);
                    Accumulate(subtrahend, temporary, store: false);
                }
                return;
            }
            case FusedOpcode.MultiplyAdd: // a b + c: da += g b, db += g a, dc += g
            case FusedOpcode.Multiply:
            {
                if (instruction.Third is { } third) Accumulate(Target(region, third, externalGradients, gradients, row), g, Stores(2, third));
                var second = instruction.Second!.Value;
                var a = Read<T>(region, first, externals, scratch, row);
                var b = Read<T>(region, second, externals, scratch, row);
                AccumulateProduct(target, g, b, temporary, Stores(0, first));
                AccumulateProduct(Target(region, second, externalGradients, gradients, row), g, a, temporary, Stores(1, second));
                return;
            }
            case FusedOpcode.Divide:
            {
                var second = instruction.Second!.Value;
                var a = Read<T>(region, first, externals, scratch, row);
                var b = Read<T>(region, second, externals, scratch, row);
                Binary<DivideOp.Kernel, T>(g, b, temporary);
                Accumulate(target, temporary, Stores(0, first));
                // as the eager VJP: -(g a) / (b b)
                var squared = secondArray.AsSpan(0, b.Length);
                TensorPrimitives.Multiply(b, b, squared);
                Binary<MultiplyOp.Kernel, T>(g, a, temporary);
                TensorPrimitives.Negate(temporary, temporary);
                Binary<DivideOp.Kernel, T>(temporary, squared, temporary);
                Accumulate(Target(region, second, externalGradients, gradients, row), temporary, Stores(1, second));
                return;
            }
            case FusedOpcode.Sigmoid when target.Length == width: // g y (1 - y), added in the same pass (or stored: a first write)
                FusedDerivatives.SigmoidGradient(y, g, target, accumulate: !Stores(0, first));
                return;
            case FusedOpcode.Tanh when target.Length == width: // g (1 - y y)
                FusedDerivatives.TanhGradient(y, g, target, accumulate: !Stores(0, first));
                return;
        }
        if (target.IsEmpty) return;
        // the unary opcodes: the derivative into the temporary, then into the operand's gradient
        var operand = Read<T>(region, first, externals, scratch, row);
        switch (instruction.Opcode)
        {
            case FusedOpcode.Negate:
                TensorPrimitives.Negate(g, temporary);
                break;
            case FusedOpcode.Sigmoid:
                FusedDerivatives.SigmoidGradient(y, g, temporary, accumulate: false);
                break;
            case FusedOpcode.Tanh:
                FusedDerivatives.TanhGradient(y, g, temporary, accumulate: false);
                break;
            case FusedOpcode.Relu:
                for (int j = 0; j < width; j++) temporary[j] = y[j] > T.Zero ? g[j] : T.Zero;
                break;
            case FusedOpcode.Exp:
                TensorPrimitives.Multiply(g, y, temporary);
                break;
            case FusedOpcode.Log:
                TensorPrimitives.Divide(g, operand, temporary);
                break;
            case FusedOpcode.Sqrt: // g / (y 2)
                TensorPrimitives.Multiply(y, T.CreateChecked(2), temporary);
                TensorPrimitives.Divide(g, temporary, temporary);
                break;
            case FusedOpcode.Abs:
                for (int j = 0; j < width; j++) temporary[j] = operand[j] > T.Zero ? g[j] : operand[j] < T.Zero ? -g[j] : T.Zero;
                break;
            case FusedOpcode.Clamp:
            {
                T lower = T.CreateChecked(instruction.Lower), upper = T.CreateChecked(instruction.Upper);
                for (int j = 0; j < width; j++) temporary[j] = operand[j] >= lower && operand[j] <= upper ? g[j] : T.Zero;
                break;
            }
            case FusedOpcode.Normalize:
                FusedDerivatives.NormalizeGradient(operand, y, g, T.CreateChecked(instruction.Epsilon), secondArray.AsSpan(0, width), temporary);
                break;
            default: throw new InvalidOperationException($"compiled cell: unknown fused opcode {instruction.Opcode}");
        }
        Accumulate(target, temporary, Stores(0, first));
    }

    /// <summary>The operand's values for the row.</summary>
    private static ReadOnlySpan<T> Read<T>(FusedRegion region, in FusedOperand operand, ArraySegment<T>[] externals, Span<T> scratch, int row) where T : unmanaged =>
        operand.Source == OperandSource.Register
            ? scratch.Slice(region.RegisterOffsets[operand.Index] + operand.Offset, operand.Width)
            : externals[operand.Index].AsSpan().Slice(operand.Offset + (operand.VariesByRow ? row * operand.RowStride : 0), operand.Width);

    /// <summary>Where the operand's gradient for the row is added: a gradient register, an external's gradient row, or empty for none.</summary>
    private static Span<T> Target<T>(FusedRegion region, in FusedOperand operand, ArraySegment<T>[] externalGradients, T[] gradients, int row)
    {
        if (operand.Source == OperandSource.Register) return gradients.AsSpan(region.RegisterOffsets[operand.Index] + operand.Offset, operand.Width);
        if (externalGradients[operand.Index] is { Array: not null } external)
            return external.AsSpan().Slice(operand.Offset + (operand.VariesByRow ? row * operand.RowStride : 0), operand.Width);
        return [];
    }

    /// <summary>
    /// Adds <paramref name="contribution"/> into <paramref name="target"/> (summed when the operand is a per-row scalar; nothing for none),
    /// or with <paramref name="store"/> (a first write into an uncleared full row) writes it there.
    /// </summary>
    private static void Accumulate<T>(Span<T> target, ReadOnlySpan<T> contribution, bool store) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (target.IsEmpty) return;
        if (target.Length == contribution.Length)
        {
            if (store) contribution.CopyTo(target);
            else TensorPrimitives.Add(target, contribution, target);
        }
        else target[0] += TensorPrimitives.Sum(contribution);
    }

    /// <summary>target += g · factor (or with <paramref name="store"/>, =), in one pass when both are full rows (a factor may be a per-row scalar).</summary>
    private static void AccumulateProduct<T>(Span<T> target, ReadOnlySpan<T> g, ReadOnlySpan<T> factor, Span<T> temporary, bool store)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (target.IsEmpty) return;
        if (store && target.Length == g.Length && factor.Length == g.Length) TensorPrimitives.Multiply(g, factor, target);
        else if (store && target.Length == g.Length && factor.Length == 1) TensorPrimitives.Multiply(g, factor[0], target);
        else if (target.Length == g.Length && factor.Length == g.Length) TensorPrimitives.MultiplyAdd(g, factor, target, target);
        else if (target.Length == g.Length && factor.Length == 1) TensorPrimitives.MultiplyAdd(g, factor[0], target, target);
        else
        {
            Binary<MultiplyOp.Kernel, T>(g, factor, temporary);
            Accumulate(target, temporary, store: false);
        }
    }

    private static void Binary<TKernel, T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination)
        where TKernel : IBinaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length == b.Length) TKernel.Apply(a, b, destination);
        else if (b.Length == 1) TKernel.Apply(a, b[0], destination);
        else TKernel.Apply(a[0], b, destination);
    }
}
