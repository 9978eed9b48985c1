namespace AutoDiffRnn;

public sealed partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>conv1d</c>: <paramref name="input"/> [N, C, L] cross-correlated with <paramref name="weight"/>
    /// [out, C/groups, k], plus <paramref name="bias"/> [out] if given, giving [N, out, L'] with
    /// L' = ⌊(L + before + after − d·(k − 1) − 1) / s⌋ + 1. It runs as <see cref="Conv2d(Tensor, Tensor, Tensor?, int, Padding, int, int)"/>
    /// on a height of 1 (reshapes on either side), so it records conv2d. For <paramref name="padding"/> use an int,
    /// <see cref="Padding.Sides"/>, <see cref="Padding.Same"/> or <see cref="Padding.Valid"/>.
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, Padding padding = default,
        int dilation = 1, int groups = 1)
    {
        string shown = $"input {input.Shape}, weight {weight.Shape}";
        if (input.Rank != 3) throw new ArgumentException($"conv1d: the input must be 3-D [batch, channels, length], got {input.Shape} ({shown})");
        if (weight.Rank != 3) throw new ArgumentException($"conv1d: the weight must be 3-D [out, in/groups, k], got {weight.Shape} ({shown})");
        var sides = padding.Mode == PaddingMode.Explicit ? Padding.PerSide(0, 0, padding.Left, padding.Right) : padding;
        var input2d = input.Reshape(input.Shape[0], input.Shape[1], 1, input.Shape[2]);
        var weight2d = weight.Reshape(weight.Shape[0], weight.Shape[1], 1, weight.Shape[2]);
        var geometry = ConvGeometry.Create("conv1d", input2d.Shape, weight2d.Shape, (1, stride), sides, (1, dilation), groups, shown);
        var output = Conv2dOp.Apply(input2d, weight2d, bias, geometry, "conv1d");
        return output.Reshape(geometry.Batch, geometry.OutChannels, geometry.OutWidth);
    }
}
