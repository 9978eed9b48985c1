namespace AutoDiffRnn;

/// <summary>
/// The sizes of a 2-D pooling window sliding over input [N, C, Height, Width]: kernel, stride, symmetric zero padding, dilation,
/// and the output size, floored or (ceil mode) rounded up as PyTorch does: a last window that would start in the right padding is dropped.
/// </summary>
internal sealed record PoolGeometry(
    int Batch, int Channels, int Height, int Width, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PadHeight, int PadWidth, int DilationHeight, int DilationWidth, int OutHeight, int OutWidth)
{
    public int Planes => Batch * Channels;
    public Shape InputShape => new(Batch, Channels, Height, Width);
    public Shape OutputShape => new(Batch, Channels, OutHeight, OutWidth);

    /// <summary>Checks the input and settings of <paramref name="operation"/>; <paramref name="shown"/> describes the caller's shapes.</summary>
    public static PoolGeometry Create(string operation, Shape input, (int Height, int Width) kernel, (int Height, int Width) stride,
        (int Height, int Width) padding, (int Height, int Width) dilation, bool ceilMode, string shown)
    {
        string Fail(string problem) => $"{operation}: {problem} ({shown})";
        if (input.Rank != 4) throw new ArgumentException(Fail($"the input must be 4-D [batch, channels, height, width], got {input}"));
        if (kernel.Height <= 0 || kernel.Width <= 0) throw new ArgumentException(Fail($"the kernel must be positive, got {kernel}"));
        if (stride.Height <= 0 || stride.Width <= 0) throw new ArgumentException(Fail($"the stride must be positive, got {stride}"));
        if (dilation.Height <= 0 || dilation.Width <= 0) throw new ArgumentException(Fail($"the dilation must be positive, got {dilation}"));
        if (padding.Height < 0 || padding.Width < 0) throw new ArgumentException(Fail($"the padding must not be negative, got {padding}"));
        int spanHeight = (kernel.Height - 1) * dilation.Height + 1, spanWidth = (kernel.Width - 1) * dilation.Width + 1;
        if (padding.Height > kernel.Height / 2 || padding.Width > kernel.Width / 2)
            throw new ArgumentException(Fail($"the padding {padding} must be at most half the kernel {kernel.Height}x{kernel.Width}"));
        int outHeight = OutputSize(input[2], spanHeight, stride.Height, padding.Height, ceilMode);
        int outWidth = OutputSize(input[3], spanWidth, stride.Width, padding.Width, ceilMode);
        if (outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException(Fail(
                $"the kernel {spanHeight}x{spanWidth} is larger than the padded input {input[2] + 2 * padding.Height}x{input[3] + 2 * padding.Width}"));
        return new PoolGeometry(input[0], input[1], input[2], input[3], kernel.Height, kernel.Width, stride.Height, stride.Width,
            padding.Height, padding.Width, dilation.Height, dilation.Width, outHeight, outWidth);
    }

    private static int OutputSize(int size, int span, int stride, int pad, bool ceilMode)
    {
        int room = size + 2 * pad - span;
        if (room < 0) return 0;
        int output = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
        if (ceilMode && (output - 1) * stride >= size + pad) output--;
        return output;
    }
}
