using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// The im2col lowering of a convolution and its adjoint. For one sample and one group, the column matrix has a row per
/// (input channel c, kernel row i, kernel column j) and a column per output position (oh, ow), holding
/// x[c, oh·sH − top + i·dH, ow·sW − left + j·dW], or 0 where that falls in the padding. The convolution is then one GEMM,
/// weight [out, rows] × columns [rows, positions]. Rows are copied in contiguous runs when the stride along the width is 1.
/// </summary>
internal static class Im2Col
{
    /// <summary>
    /// Fills <paramref name="columns"/> [ColumnRows, OutputPlane] from the group's input planes <paramref name="input"/>; with a
    /// <paramref name="rowStride"/> larger than OutputPlane, the rows lie that far apart (one sample's block of a batch-wide matrix).
    /// </summary>
    public static void Lower<T>(ReadOnlySpan<T> input, Span<T> columns, ConvGeometry g, int rowStride = 0) where T : unmanaged, INumberBase<T>
    {
        if (rowStride == 0) rowStride = g.OutputPlane;
        int outWidth = g.OutWidth, strideWidth = g.StrideWidth;
        for (int c = 0; c < g.InPerGroup; c++)
        {
            var plane = input.Slice(c * g.InputPlane, g.InputPlane);
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    var row = columns.Slice(((c * g.KernelHeight + i) * g.KernelWidth + j) * rowStride, g.OutputPlane);
                    int offset = j * g.DilationWidth - g.PadLeft;
                    var (first, end) = ValidOutputs(offset, strideWidth, g.Width, outWidth);
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        var destination = row.Slice(oh * outWidth, outWidth);
                        int ih = oh * g.StrideHeight - g.PadTop + i * g.DilationHeight;
                        if ((uint)ih >= (uint)g.Height || first >= end)
                        {
                            destination.Clear();
                            continue;
                        }
                        destination[..first].Clear();
                        destination[end..].Clear();
                        var source = plane.Slice(ih * g.Width, g.Width);
                        if (strideWidth == 1) source.Slice(first + offset, end - first).CopyTo(destination[first..end]);
                        else
                            for (int ow = first; ow < end; ow++) destination[ow] = source[ow * strideWidth + offset];
                    }
                }
        }
    }

    /// <summary>The adjoint of <see cref="Lower{T}"/>: adds each column entry back into <paramref name="input"/> at its source position.</summary>
    public static void Raise<T>(ReadOnlySpan<T> columns, Span<T> input, ConvGeometry g) where T : unmanaged, INumberBase<T>
    {
        int outWidth = g.OutWidth, strideWidth = g.StrideWidth;
        for (int c = 0; c < g.InPerGroup; c++)
        {
            var plane = input.Slice(c * g.InputPlane, g.InputPlane);
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    var row = columns.Slice(((c * g.KernelHeight + i) * g.KernelWidth + j) * g.OutputPlane, g.OutputPlane);
                    int offset = j * g.DilationWidth - g.PadLeft;
                    var (first, end) = ValidOutputs(offset, strideWidth, g.Width, outWidth);
                    if (first >= end) continue;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        int ih = oh * g.StrideHeight - g.PadTop + i * g.DilationHeight;
                        if ((uint)ih >= (uint)g.Height) continue;
                        var source = row.Slice(oh * outWidth, outWidth);
                        var target = plane.Slice(ih * g.Width, g.Width);
                        if (strideWidth == 1)
                        {
                            var run = target.Slice(first + offset, end - first);
                            TensorPrimitives.Add(run, source[first..end], run);
                        }
                        else
                            for (int ow = first; ow < end; ow++) target[ow * strideWidth + offset] += source[ow];
                    }
                }
        }
    }

    /// <summary>The output columns [first, end) whose input column ow·stride + offset lies inside [0, width).</summary>
    private static (int First, int End) ValidOutputs(int offset, int stride, int width, int outWidth)
    {
        int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = width - 1 - offset;
        int end = last < 0 ? 0 : Math.Min(outWidth, last / stride + 1);
        return (Math.Min(first, outWidth), Math.Max(end, Math.Min(first, outWidth)));
    }
}
