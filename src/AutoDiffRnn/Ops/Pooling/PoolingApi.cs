namespace AutoDiffRnn;

public sealed partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>max_pool2d</c> on [N, C, H, W]: the maximum of each <paramref name="kernel"/> window, moved by
    /// <paramref name="stride"/> (the kernel when null), with <paramref name="padding"/> (at most half the kernel, never chosen),
    /// <paramref name="dilation"/>, and the output size rounded up in <paramref name="ceilMode"/>. The gradient goes to each window's
    /// first maximum.
    /// </summary>
    public Tensor MaxPool2d((int Height, int Width) kernel, (int Height, int Width)? stride = null, (int Height, int Width) padding = default,
        (int Height, int Width)? dilation = null, bool ceilMode = false)
    {
        var geometry = PoolGeometry.Create("max_pool2d", Shape, kernel, stride ?? kernel, padding, dilation ?? (1, 1), ceilMode, $"input {Shape}");
        return MaxPool2dOp.Apply(this, geometry);
    }

    /// <summary><see cref="MaxPool2d(ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}, ValueTuple{int, int}?, bool)"/> with square windows.</summary>
    public Tensor MaxPool2d(int kernel, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool2d((kernel, kernel), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode);

    /// <summary>PyTorch's <c>max_pool1d</c> on [N, C, L] (max_pool2d over a height of 1).</summary>
    public Tensor MaxPool1d(int kernel, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        RequireRank3("max_pool1d");
        var geometry = PoolGeometry.Create("max_pool1d", new Shape(Shape[0], Shape[1], 1, Shape[2]), (1, kernel), (1, stride ?? kernel),
            (0, padding), (1, dilation), ceilMode, $"input {Shape}");
        return MaxPool2dOp.Apply(Reshape(Shape[0], Shape[1], 1, Shape[2]), geometry, "max_pool1d").Reshape(Shape[0], Shape[1], geometry.OutWidth);
    }

    /// <summary>
    /// PyTorch's <c>avg_pool2d</c> on [N, C, H, W]: the mean of each window; with <paramref name="countIncludePad"/> the padding's zeros
    /// count in the divisor. The gradient spreads each output's gradient evenly over its window.
    /// </summary>
    public Tensor AvgPool2d((int Height, int Width) kernel, (int Height, int Width)? stride = null, (int Height, int Width) padding = default,
        bool ceilMode = false, bool countIncludePad = true) =>
        AveragePool("avg_pool2d", this, Shape, kernel, stride ?? kernel, padding, ceilMode, countIncludePad);

    /// <summary><see cref="AvgPool2d(ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}, bool, bool)"/> with square windows.</summary>
    public Tensor AvgPool2d(int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        AvgPool2d((kernel, kernel), stride is { } s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad);

    /// <summary>PyTorch's <c>avg_pool1d</c> on [N, C, L] (avg_pool2d over a height of 1).</summary>
    public Tensor AvgPool1d(int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        RequireRank3("avg_pool1d");
        var result = AveragePool("avg_pool1d", Reshape(Shape[0], Shape[1], 1, Shape[2]), Shape, (1, kernel), (1, stride ?? kernel), (0, padding),
            ceilMode, countIncludePad);
        return result.Reshape(Shape[0], Shape[1], result.Shape[3]);
    }

    /// <summary>
    /// PyTorch's <c>adaptive_avg_pool2d</c> on [N, C, H, W]: output [N, C, outH, outW], position o averaging inputs
    /// [⌊o·H/outH⌋, ⌈(o+1)·H/outH⌉) (likewise along the width).
    /// </summary>
    public Tensor AdaptiveAvgPool2d((int Height, int Width) outputSize)
    {
        if (Rank != 4)
            throw new ArgumentException($"adaptive_avg_pool2d: the input must be 4-D [batch, channels, height, width], got {Shape}");
        if (outputSize.Height <= 0 || outputSize.Width <= 0)
            throw new ArgumentException($"adaptive_avg_pool2d: the output size must be positive, got {outputSize} (input {Shape})");
        return WindowAverageOp.Apply("adaptive_avg_pool2d", this,
            AxisWindows.Adaptive(Shape[2], outputSize.Height), AxisWindows.Adaptive(Shape[3], outputSize.Width));
    }

    /// <summary>
    /// The dimensions <paramref name="startDim"/> to <paramref name="endDim"/> (inclusive, negative from the end) merged into one,
    /// as <c>torch.flatten</c>; by default everything after the batch dimension. A reshape.
    /// </summary>
    public Tensor Flatten(int startDim = 1, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int first = Shape.NormalizeAxis(startDim, "flatten"), last = Shape.NormalizeAxis(endDim, "flatten");
        if (first > last)
            throw new ArgumentException($"flatten: start dimension {startDim} comes after end dimension {endDim} of {Shape}");
        var dimensions = Shape.ToArray();
        var merged = dimensions[..first].Append(Shape.Product(first, last + 1)).Concat(dimensions[(last + 1)..]).ToArray();
        return Reshape(merged);
    }

    private static Tensor AveragePool(string operation, Tensor input, Shape shown, (int Height, int Width) kernel, (int Height, int Width) stride,
        (int Height, int Width) padding, bool ceilMode, bool countIncludePad)
    {
        var g = PoolGeometry.Create(operation, input.Shape, kernel, stride, padding, (1, 1), ceilMode, $"input {shown}");
        return WindowAverageOp.Apply("avg_pool2d", input,
            AxisWindows.Pool(g.Height, g.KernelHeight, g.StrideHeight, g.PadHeight, g.OutHeight, countIncludePad),
            AxisWindows.Pool(g.Width, g.KernelWidth, g.StrideWidth, g.PadWidth, g.OutWidth, countIncludePad));
    }

    private void RequireRank3(string operation)
    {
        if (Rank != 3) throw new ArgumentException($"{operation}: the input must be 3-D [batch, channels, length], got {Shape}");
    }
}
