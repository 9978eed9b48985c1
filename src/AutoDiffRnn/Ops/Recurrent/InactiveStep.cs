using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn;

/// <summary>
/// A step past a sequence's length (packed sequences), the same for every cell: the states pass through unchanged, the output is zero
/// and no gradient reaches the gates.
/// </summary>
internal static class InactiveStep
{
    /// <summary>
    /// Writes a block of w units of the output row — 0 at [0, w) and, with <paramref name="stateOutputs"/>, h at H + [0, w) and c (when
    /// the cell has one) at 2H + [0, w) — and leaves the states as they are.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> cell, Span<T> output, int hiddenSize, bool stateOutputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = hidden.Length;
        output[..w].Clear();
        if (!stateOutputs) return;
        hidden.CopyTo(output.Slice(hiddenSize, w));
        if (!cell.IsEmpty) cell.CopyTo(output.Slice(2 * hiddenSize, w));
    }

    /// <summary>The gradients of the state rows pass on to the states before the step; the gate gradients are zero.</summary>
    public static void Backward<T>(ReadOnlySpan<T> outputGradient, Span<T> carriedHidden, Span<T> carriedCell, Span<T> inputGateGradients,
        Span<T> hiddenGateGradients) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = carriedHidden.Length;
        TensorPrimitives.Add<T>(carriedHidden, outputGradient.Slice(h, h), carriedHidden);
        if (!carriedCell.IsEmpty) TensorPrimitives.Add<T>(carriedCell, outputGradient.Slice(2 * h, h), carriedCell);
        inputGateGradients.Clear();
        hiddenGateGradients.Clear();
    }
}
