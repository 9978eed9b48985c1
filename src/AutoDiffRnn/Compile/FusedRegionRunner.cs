using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Compile;

/// <summary>
/// Runs a <see cref="FusedRegion"/>: the forward row by row, and the backward (recompute the row, then the derivatives in reverse).
/// Each instruction is one span kernel over a whole row, the same kernels the eager ops use (a normalisation: its row reduction in the
/// eager layer_norm's order), so float64 values match the eager graph exactly. Scratch rows come from the shared array pool: nothing is allocated per row or per call beyond the region's outputs.
/// </summary>
internal static class FusedRegionRunner
{
    /// <summary>
    /// Computes the region's outputs into <paramref name="outputs"/> (one segment per <see cref="FusedRegion.Outputs"/> entry), reading
    /// <paramref name="externals"/> (one segment per <see cref="FusedRegion.Externals"/> entry). A segment is a tensor's storage or, in a
    /// compiled recurrence, one step's slice of a buffer stacked over time. With <paramref name="firstRow"/> and <paramref name="rowCount"/>
    /// only those rows run (a compiled recurrence splits the batch over the cores).
    /// </summary>
    public static void Forward<T>(FusedRegion region, ArraySegment<T>[] externals, ArraySegment<T>[] outputs, int firstRow = 0, int rowCount = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = ArrayPool<T>.Shared.Rent(Math.Max(1, region.ScratchWidth));
        try
        {
            for (int row = firstRow, end = EndRow(region, firstRow, rowCount); row < end; row++)
            {
                RunRow<T>(region, externals, scratch, row);
                for (int k = 0; k < region.Outputs.Length; k++)
                {
                    var destination = OutputRow(region, k, outputs[k], row, firstRow);
                    if (!destination.IsEmpty) Register(region, scratch, region.Outputs[k].Register).CopyTo(destination);
                }
            }
        }
        finally { ArrayPool<T>.Shared.Return(scratch); }
    }

    /// <summary>
    /// Adds the gradients of the region's externals into <paramref name="externalGradients"/> (segments of the externals' sizes, default
    /// where no gradient is needed), given the gradients of its outputs (default for an output that received none). With
    /// <paramref name="firstRow"/> and <paramref name="rowCount"/> only those rows run.
    /// </summary>
    public static void Backward<T>(FusedRegion region, ArraySegment<T>[] externals, ArraySegment<T>[] outputGradients, ArraySegment<T>[] externalGradients,
        int firstRow = 0, int rowCount = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Math.Max(1, region.ScratchWidth), widest = Math.Max(1, region.MaxWidth);
        var scratch = ArrayPool<T>.Shared.Rent(width);
        var gradients = ArrayPool<T>.Shared.Rent(width);
        var temporary = ArrayPool<T>.Shared.Rent(widest);
        var second = ArrayPool<T>.Shared.Rent(widest);
        try
        {
            for (int row = firstRow, end = EndRow(region, firstRow, rowCount); row < end; row++)
            {
                RunRow<T>(region, externals, scratch, row);
                gradients.AsSpan(0, width).Clear();
                for (int k = 0; k < region.Outputs.Length; k++)
                {
                    var incoming = OutputRow(region, k, outputGradients[k], row, firstRow);
                    var target = Register(region, gradients, region.Outputs[k].Register);
                    if (!incoming.IsEmpty) TensorPrimitives.Add(target, incoming, target);
                }
                for (int i = region.Instructions.Length - 1; i >= 0; i--)
                    BackwardInstruction(region, region.Instructions[i], externals, externalGradients, scratch, gradients, temporary, second, row);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
            ArrayPool<T>.Shared.Return(gradients);
            ArrayPool<T>.Shared.Return(temporary);
            ArrayPool<T>.Shared.Return(second);
        }
    }

    private static int EndRow(FusedRegion region, int firstRow, int rowCount) => rowCount < 0 ? region.Rows : firstRow + rowCount;

    /// <summary>A register's span in a scratch row (values or gradients).</summary>
    private static Span<T> Register<T>(FusedRegion region, T[] scratch, int register) =>
        scratch.AsSpan(region.RegisterOffsets[register], region.RegisterWidths[register]);

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

    private static void RunRow<T>(FusedRegion region, ArraySegment<T>[] externals, T[] scratch, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var instruction in region.Instructions)
        {
            var destination = scratch.AsSpan(region.RegisterOffsets[instruction.Register], instruction.Width);
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
                default: throw new InvalidOperationException($"compiled cell: unknown fused opcode {instruction.Opcode}");
            }
        }
    }

    private static void BackwardInstruction<T>(FusedRegion region, FusedInstruction instruction, ArraySegment<T>[] externals, ArraySegment<T>[] externalGradients,
        T[] scratch, T[] gradients, T[] temporaryArray, T[] secondArray, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = instruction.Width;
        ReadOnlySpan<T> g = gradients.AsSpan(region.RegisterOffsets[instruction.Register], width);
        ReadOnlySpan<T> y = scratch.AsSpan(region.RegisterOffsets[instruction.Register], width);
        var temporary = temporaryArray.AsSpan(0, width);
        var first = instruction.First;
        var a = Read<T>(region, first, externals, scratch, row);
        switch (instruction.Opcode)
        {
            case FusedOpcode.Copy:
                Accumulate<T>(region, first, g, externalGradients, gradients, row);
                return;
            case FusedOpcode.Add:
                Accumulate<T>(region, first, g, externalGradients, gradients, row);
                Accumulate<T>(region, instruction.Second!.Value, g, externalGradients, gradients, row);
                return;
            case FusedOpcode.Subtract:
                Accumulate<T>(region, first, g, externalGradients, gradients, row);
                TensorPrimitives.Negate(g, temporary);
                Accumulate<T>(region, instruction.Second!.Value, temporary, externalGradients, gradients, row);
                return;
            case FusedOpcode.Multiply:
            {
                var b = Read<T>(region, instruction.Second!.Value, externals, scratch, row);
                Binary<MultiplyOp.Kernel, T>(g, b, temporary);
                Accumulate<T>(region, first, temporary, externalGradients, gradients, row);
                Binary<MultiplyOp.Kernel, T>(g, a, temporary);
                Accumulate<T>(region, instruction.Second!.Value, temporary, externalGradients, gradients, row);
                return;
            }
            case FusedOpcode.Divide:
            {
                var b = Read<T>(region, instruction.Second!.Value, externals, scratch, row);
                Binary<DivideOp.Kernel, T>(g, b, temporary);
                Accumulate<T>(region, first, temporary, externalGradients, gradients, row);
                // as the eager VJP: -(g a) / (b b)
                var squared = secondArray.AsSpan(0, b.Length);
                TensorPrimitives.Multiply(b, b, squared);
                Binary<MultiplyOp.Kernel, T>(g, a, temporary);
                TensorPrimitives.Negate(temporary, temporary);
                Binary<DivideOp.Kernel, T>(temporary, squared, temporary);
                Accumulate<T>(region, instruction.Second!.Value, temporary, externalGradients, gradients, row);
                return;
            }
            case FusedOpcode.Negate:
                TensorPrimitives.Negate(g, temporary);
                break;
            case FusedOpcode.Sigmoid: // g y (1 - y)
                Activations.SigmoidGradient(y, g, temporary);
                break;
            case FusedOpcode.Tanh: // g (1 - y y)
                FusedDerivatives.TanhGradient(y, g, temporary);
                break;
            case FusedOpcode.Normalize:
                FusedDerivatives.NormalizeGradient(a, y, g, T.CreateChecked(instruction.Epsilon), secondArray.AsSpan(0, width), temporary);
                break;
            case FusedOpcode.Relu:
                for (int j = 0; j < width; j++) temporary[j] = y[j] > T.Zero ? g[j] : T.Zero;
                break;
            case FusedOpcode.Exp:
                TensorPrimitives.Multiply(g, y, temporary);
                break;
            case FusedOpcode.Log:
                TensorPrimitives.Divide(g, a, temporary);
                break;
            case FusedOpcode.Sqrt: // g / (y 2)
                TensorPrimitives.Multiply(y, T.CreateChecked(2), temporary);
                TensorPrimitives.Divide(g, temporary, temporary);
                break;
            case FusedOpcode.Abs:
                for (int j = 0; j < width; j++) temporary[j] = a[j] > T.Zero ? g[j] : a[j] < T.Zero ? -g[j] : T.Zero;
                break;
            case FusedOpcode.Clamp:
            {
                T lower = T.CreateChecked(instruction.Lower), upper = T.CreateChecked(instruction.Upper);
                for (int j = 0; j < width; j++) temporary[j] = a[j] >= lower && a[j] <= upper ? g[j] : T.Zero;
                break;
            }
            default: throw new InvalidOperationException($"compiled cell: unknown fused opcode {instruction.Opcode}");
        }
        Accumulate<T>(region, first, temporary, externalGradients, gradients, row); // the unary opcodes
    }

    /// <summary>The operand's values for the row.</summary>
    private static ReadOnlySpan<T> Read<T>(FusedRegion region, in FusedOperand operand, ArraySegment<T>[] externals, T[] scratch, int row) where T : unmanaged =>
        operand.Source == OperandSource.Register
            ? scratch.AsSpan(region.RegisterOffsets[operand.Index] + operand.Offset, operand.Width)
            : externals[operand.Index].AsSpan().Slice(operand.Offset + (operand.VariesByRow ? row * operand.RowStride : 0), operand.Width);

    /// <summary>Adds <paramref name="contribution"/> into the operand's gradient (summed when the operand is a per-row scalar).</summary>
    private static void Accumulate<T>(FusedRegion region, in FusedOperand operand, ReadOnlySpan<T> contribution, ArraySegment<T>[] externalGradients,
        T[] gradients, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> target;
        if (operand.Source == OperandSource.Register)
            target = gradients.AsSpan(region.RegisterOffsets[operand.Index] + operand.Offset, operand.Width);
        else if (externalGradients[operand.Index] is { Array: not null } external)
            target = external.AsSpan().Slice(operand.Offset + (operand.VariesByRow ? row * operand.RowStride : 0), operand.Width);
        else return;
        if (target.Length == contribution.Length) TensorPrimitives.Add(target, contribution, target);
        else target[0] += TensorPrimitives.Sum(contribution);
    }

    private static void Binary<TKernel, T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination)
        where TKernel : IBinaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length == b.Length) TKernel.Apply(a, b, destination);
        else if (b.Length == 1) TKernel.Apply(a, b[0], destination);
        else TKernel.Apply(a[0], b, destination);
    }
}
