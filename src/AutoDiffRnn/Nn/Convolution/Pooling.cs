namespace AutoDiffRnn.Nn;

/// <summary>Max pooling as <c>torch.nn.MaxPool2d</c> (no parameters): see <see cref="Tensor.MaxPool2d(int, int?, int, int, bool)"/>.</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    /// <summary>The window size.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The stride (the kernel size when not given).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Pools [N, C, H, W].</summary>
    public Tensor Forward(Tensor input) => input.MaxPool2d(KernelSize, Stride, padding, dilation, ceilMode);
}

/// <summary>Average pooling as <c>torch.nn.AvgPool2d</c> (no parameters): see <see cref="Tensor.AvgPool2d(int, int?, int, bool, bool)"/>.</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    /// <summary>The window size.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The stride (the kernel size when not given).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Pools [N, C, H, W].</summary>
    public Tensor Forward(Tensor input) => input.AvgPool2d(KernelSize, Stride, padding, ceilMode, countIncludePad);
}

/// <summary>Adaptive average pooling to a fixed output size, as <c>torch.nn.AdaptiveAvgPool2d</c>.</summary>
public sealed class AdaptiveAvgPool2d((int Height, int Width) outputSize) : Module
{
    /// <summary>The output's (height, width).</summary>
    public (int Height, int Width) OutputSize { get; } = outputSize;

    /// <summary>Pools [N, C, H, W] to [N, C, outH, outW].</summary>
    public Tensor Forward(Tensor input) => input.AdaptiveAvgPool2d(OutputSize);
}

/// <summary>Flattening as <c>torch.nn.Flatten</c>: dimensions startDim..endDim merged (by default all but the batch).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>Flattens the input.</summary>
    public Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
}
