using System.Numerics;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// max_pool2d (PyTorch's <c>max_pool2d</c>): the largest input in each window of each [H, W] plane, padding never chosen.
/// Ties go as in PyTorch: the first maximum in the window's row-major scan (a later equal value does not replace it); NaN wins.
/// The forward keeps, per output, the winning tap i·kW + j of its window (exact in the element type, in a pooled tensor of the
/// output's shape, so a training step allocates nothing for it). VJP: max_pool2d_backward, each output gradient added at the
/// position of its window's winning tap (the notes' <c>up()</c> rule), zero elsewhere — a recorded linear op whose own VJP reads the
/// gradient back at those positions (index_select).
/// </summary>
[Operation("max_pool2d")]
[Operation("max_pool2d_backward")]
internal static class MaxPool2dOp
{
    public static Tensor Apply(Tensor input, PoolGeometry g, string operation = "max_pool2d")
    {
        var output = Tensor.Uninitialized(g.OutputShape, input.DType); // every window writes its output
        var taps = Tensor.Uninitialized(g.OutputShape, input.DType);   // and its winning tap
        if (input.DType == DType.Float32) Forward<float>(input.Span<float>(), output.Span<float>(), taps.Span<float>(), g, operation);
        else Forward<double>(input.Span<double>(), output.Span<double>(), taps.Span<double>(), g, operation);
        return Tape.Record("max_pool2d", output, [input], grad => [Backward(grad, taps, g)]);
    }

    /// <summary>max_pool2d_backward: zeros of the input's shape with each output gradient added at its window's winning tap.</summary>
    public static Tensor Backward(Tensor outputGradient, Tensor taps, PoolGeometry g)
    {
        var result = Tensor.Uninitialized(g.InputShape, outputGradient.DType); // Scatter clears it first
        if (result.DType == DType.Float32) Scatter<float>(outputGradient.Span<float>(), taps.Span<float>(), result.Span<float>(), g);
        else Scatter<double>(outputGradient.Span<double>(), taps.Span<double>(), result.Span<double>(), g);
        return Tape.Record("max_pool2d_backward", result, [outputGradient],
            u => [u.Reshape(u.ElementCount).IndexSelect(0, Positions(taps, g)).Reshape(g.OutputShape.ToArray())]);
    }

    /// <summary>The flat input position of each output's winning tap.</summary>
    private static int[] Positions(Tensor taps, PoolGeometry g)
    {
        var positions = new int[g.OutputShape.ElementCount];
        var winners = taps.ToDoubleArray();
        for (int k = 0; k < positions.Length; k++) positions[k] = Position(g, k, (int)winners[k]);
        return positions;
    }

    /// <summary>The flat input position of tap <paramref name="tap"/> (i·kW + j) of output <paramref name="k"/>'s window.</summary>
    private static int Position(PoolGeometry g, int k, int tap)
    {
        int outPlane = g.OutHeight * g.OutWidth, p = k / outPlane, rest = k % outPlane, oh = rest / g.OutWidth, ow = rest % g.OutWidth;
        int h = oh * g.StrideHeight - g.PadHeight + tap / g.KernelWidth * g.DilationHeight;
        int w = ow * g.StrideWidth - g.PadWidth + tap % g.KernelWidth * g.DilationWidth;
        return (p * g.Height + h) * g.Width + w;
    }

    private static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> taps, PoolGeometry g, string operation) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsInterior(g)) { ForwardInterior(x, y, taps, g); return; }
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        for (int p = 0; p < g.Planes; p++)
        {
            var source = x.Slice(p * plane, plane);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int top = oh * g.StrideHeight - g.PadHeight;
                int firstRow = top, endRow = Math.Min(top + (g.KernelHeight - 1) * g.DilationHeight + 1, g.Height);
                while (firstRow < 0) firstRow += g.DilationHeight;
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int left = ow * g.StrideWidth - g.PadWidth;
                    int firstColumn = left, endColumn = Math.Min(left + (g.KernelWidth - 1) * g.DilationWidth + 1, g.Width);
                    while (firstColumn < 0) firstColumn += g.DilationWidth;
                    int best = firstRow * g.Width + firstColumn;
                    T bestValue = T.NegativeInfinity;
                    for (int h = firstRow; h < endRow; h += g.DilationHeight)
                        for (int w = firstColumn; w < endColumn; w += g.DilationWidth)
                        {
                            T value = source[h * g.Width + w];
                            if (value > bestValue || T.IsNaN(value))
                            {
                                bestValue = value;
                                best = h * g.Width + w;
                                if (T.IsNaN(value)) goto found;
                            }
                        }
                    found:
                    if (firstRow >= endRow || firstColumn >= endColumn)
                        throw new ArgumentException(
                            $"{operation}: the window at output ({oh}, {ow}) lies entirely in the padding (input {g.InputShape}, kernel {g.KernelHeight}x{g.KernelWidth}, " +
                            $"dilation {g.DilationHeight}x{g.DilationWidth}, padding {g.PadHeight}x{g.PadWidth})");
                    int k = p * outPlane + oh * g.OutWidth + ow;
                    y[k] = source[best];
                    int i = (best / g.Width - top) / g.DilationHeight, j = (best % g.Width - left) / g.DilationWidth;
                    taps[k] = T.CreateTruncating(i * g.KernelWidth + j);
                }
            }
        }
    }

    /// <summary>Whether every window lies inside the input (no padding, and the last window fits even in ceil mode).</summary>
    private static bool IsInterior(PoolGeometry g) =>
        g.PadHeight == 0 && g.PadWidth == 0
        && (g.OutHeight - 1) * g.StrideHeight + (g.KernelHeight - 1) * g.DilationHeight < g.Height
        && (g.OutWidth - 1) * g.StrideWidth + (g.KernelWidth - 1) * g.DilationWidth < g.Width;

    /// <summary>
    /// The common case without padding: the window's offsets are computed once, and each window is a straight scan of them
    /// (no bounds tests), with the same tie rule (the first maximum; NaN wins). Rows of 2×2 stride-2 windows and of stride-1 windows
    /// are vectorized over the width (<see cref="MaxPoolRows"/>); the scalar scan finishes each row.
    /// </summary>
    private static void ForwardInterior<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> taps, PoolGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth, tapCount = g.KernelHeight * g.KernelWidth;
        Span<int> offsets = tapCount <= 256 ? stackalloc int[tapCount] : new int[tapCount];
        for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++) offsets[i * g.KernelWidth + j] = i * g.DilationHeight * g.Width + j * g.DilationWidth;
        bool twoByTwo = g is { KernelHeight: 2, KernelWidth: 2, StrideHeight: 2, StrideWidth: 2, DilationHeight: 1, DilationWidth: 1 };
        bool strideOne = g.StrideWidth == 1 && tapCount > 1;
        for (int p = 0; p < g.Planes; p++)
        {
            var source = x.Slice(p * plane, plane);
            int outputBase = p * outPlane;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int rowStart = oh * g.StrideHeight * g.Width, k0 = outputBase + oh * g.OutWidth;
                var outputRow = y.Slice(k0, g.OutWidth);
                var tapRow = taps.Slice(k0, g.OutWidth);
                int done = twoByTwo
                    ? MaxPoolRows.Window2x2(source.Slice(rowStart, g.Width), source.Slice(rowStart + g.Width, g.Width), outputRow, tapRow)
                    : strideOne ? MaxPoolRows.StrideOne(source[rowStart..], offsets, outputRow, tapRow) : 0;
                for (int ow = done; ow < g.OutWidth; ow++)
                {
                    int corner = rowStart + ow * g.StrideWidth;
                    int best = 0;
                    T bestValue = source[corner];
                    if (!T.IsNaN(bestValue))
                        for (int t = 1; t < tapCount; t++)
                        {
                            T value = source[corner + offsets[t]];
                            if (value > bestValue || T.IsNaN(value))
                            {
                                bestValue = value;
                                best = t;
                                if (T.IsNaN(value)) break;
                            }
                        }
                    outputRow[ow] = bestValue;
                    tapRow[ow] = T.CreateTruncating(best);
                }
            }
        }
    }

    /// <summary>Adds each output gradient at its winning tap's input position: the window's corner plus the tap's offset
    /// i·dH·W + j·dW from a table (no division per output).</summary>
    private static void Scatter<T>(ReadOnlySpan<T> gradient, ReadOnlySpan<T> taps, Span<T> result, PoolGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        result.Clear();                                     // the sum starts from zero whatever storage the tensor was given
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth, tapCount = g.KernelHeight * g.KernelWidth;
        Span<int> offsets = tapCount <= 256 ? stackalloc int[tapCount] : new int[tapCount];
        for (int t = 0; t < tapCount; t++)
            offsets[t] = t / g.KernelWidth * g.DilationHeight * g.Width + t % g.KernelWidth * g.DilationWidth;
        for (int p = 0; p < g.Planes; p++)
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int k0 = p * outPlane + oh * g.OutWidth;
                int rowCorner = p * plane + (oh * g.StrideHeight - g.PadHeight) * g.Width - g.PadWidth; // may lie in the padding
                for (int ow = 0; ow < g.OutWidth; ow++)
                    result[rowCorner + ow * g.StrideWidth + offsets[int.CreateTruncating(taps[k0 + ow])]] += gradient[k0 + ow];
            }
    }
}
