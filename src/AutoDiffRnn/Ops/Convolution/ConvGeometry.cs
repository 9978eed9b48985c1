namespace AutoDiffRnn;

/// <summary>
/// The sizes of one 2-D convolution, with its padding resolved to four sides: input [Batch, InChannels, Height, Width], weight
/// [OutChannels, InChannels / Groups, KernelHeight, KernelWidth], output [Batch, OutChannels, OutHeight, OutWidth].
/// </summary>
internal sealed record ConvGeometry(
    int Batch, int InChannels, int Height, int Width, int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadTop, int PadBottom, int PadLeft, int PadRight,
    int DilationHeight, int DilationWidth, int Groups, int OutHeight, int OutWidth)
{
    public int InPerGroup => InChannels / Groups;
    public int OutPerGroup => OutChannels / Groups;
    /// <summary>Rows of the im2col matrix of one group: one per (input channel, kernel row, kernel column).</summary>
    public int ColumnRows => InPerGroup * KernelHeight * KernelWidth;
    public int InputPlane => Height * Width;
    public int OutputPlane => OutHeight * OutWidth;
    public Shape InputShape => new(Batch, InChannels, Height, Width);
    public Shape WeightShape => new(OutChannels, InPerGroup, KernelHeight, KernelWidth);
    public Shape OutputShape => new(Batch, OutChannels, OutHeight, OutWidth);

    /// <summary>Whether the im2col matrix of a group is the input itself (1×1 kernel, stride 1, no padding).</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1
        && PadTop == 0 && PadBottom == 0 && PadLeft == 0 && PadRight == 0;

    /// <summary>Multiply-adds of the forward pass.</summary>
    public long MultiplyAdds => (long)Batch * OutChannels * OutputPlane * ColumnRows;

    /// <summary>
    /// Checks the shapes and settings of <paramref name="operation"/> and resolves its padding. <paramref name="shown"/> describes
    /// the caller's own shapes for messages (conv1d passes its 3-D shapes).
    /// </summary>
    public static ConvGeometry Create(string operation, Shape input, Shape weight, (int Height, int Width) stride, Padding padding,
        (int Height, int Width) dilation, int groups, string shown)
    {
        string Fail(string problem) => $"{operation}: {problem} ({shown})";
        if (input.Rank != 4) throw new ArgumentException(Fail($"the input must be 4-D [batch, channels, height, width], got {input}"));
        if (weight.Rank != 4) throw new ArgumentException(Fail($"the weight must be 4-D [out, in/groups, kH, kW], got {weight}"));
        if (stride.Height <= 0 || stride.Width <= 0) throw new ArgumentException(Fail($"the stride must be positive, got {stride}"));
        if (dilation.Height <= 0 || dilation.Width <= 0) throw new ArgumentException(Fail($"the dilation must be positive, got {dilation}"));
        if (groups <= 0) throw new ArgumentException(Fail($"groups must be positive, got {groups}"));
        if (padding.Mode == PaddingMode.Explicit && (padding.Top < 0 || padding.Bottom < 0 || padding.Left < 0 || padding.Right < 0))
            throw new ArgumentException(Fail($"the padding must not be negative, got {padding}"));
        int channels = input[1], outChannels = weight[0];
        if (channels % groups != 0)
            throw new ArgumentException(Fail($"{channels} input channels are not divisible by {groups} groups"));
        if (outChannels % groups != 0)
            throw new ArgumentException(Fail($"{outChannels} output channels are not divisible by {groups} groups"));
        if (weight[1] != channels / groups)
            throw new ArgumentException(Fail($"the weight {weight} expects {weight[1]} input channels per group but the input {input} has {channels} channels in {groups} group(s)"));
        int height = input[2], width = input[3], kernelHeight = weight[2], kernelWidth = weight[3];
        if (kernelHeight <= 0 || kernelWidth <= 0) throw new ArgumentException(Fail($"the kernel must not be empty, got weight {weight}"));
        var (top, bottom) = padding.Resolve(true, height, kernelHeight, stride.Height, dilation.Height);
        var (left, right) = padding.Resolve(false, width, kernelWidth, stride.Width, dilation.Width);
        int spanHeight = (kernelHeight - 1) * dilation.Height + 1, spanWidth = (kernelWidth - 1) * dilation.Width + 1;
        if (spanHeight > height + top + bottom || spanWidth > width + left + right)
            throw new ArgumentException(Fail(
                $"the kernel {spanHeight}x{spanWidth} (with dilation {dilation}) is larger than the padded input {height + top + bottom}x{width + left + right}"));
        int outHeight = (height + top + bottom - spanHeight) / stride.Height + 1;
        int outWidth = (width + left + right - spanWidth) / stride.Width + 1;
        return new ConvGeometry(input[0], channels, height, width, outChannels, kernelHeight, kernelWidth, stride.Height, stride.Width,
            top, bottom, left, right, dilation.Height, dilation.Width, groups, outHeight, outWidth);
    }
}
