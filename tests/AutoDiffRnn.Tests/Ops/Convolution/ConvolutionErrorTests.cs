namespace AutoDiffRnn.Tests.Ops.Convolution;

/// <summary>Bad input to convolution and pooling: an exception naming the op and the shapes or values at fault.</summary>
public class ConvolutionErrorTests
{
    private static Tensor Zeros(params int[] shape) => Tensor.Zeros(new Shape(shape), DType.Float64);

    [Theory]
    [InlineData(new[] { 1, 1, 4, 4 }, new[] { 1, 1, 5, 5 }, 1, 1, "the kernel 5x5 (with dilation (1, 1)) is larger than the padded input 4x4")]
    [InlineData(new[] { 1, 3, 8, 8 }, new[] { 4, 1, 3, 3 }, 1, 2, "3 input channels are not divisible by 2 groups")]
    [InlineData(new[] { 1, 4, 8, 8 }, new[] { 3, 2, 3, 3 }, 1, 2, "3 output channels are not divisible by 2 groups")]
    [InlineData(new[] { 1, 4, 8, 8 }, new[] { 4, 3, 3, 3 }, 1, 1, "expects 3 input channels per group but the input [1,4,8,8] has 4 channels")]
    [InlineData(new[] { 1, 1, 8, 8 }, new[] { 1, 1, 3, 3 }, 0, 1, "the stride must be positive, got (0, 0)")]
    [InlineData(new[] { 1, 8, 8 }, new[] { 1, 1, 3, 3 }, 1, 1, "the input must be 4-D [batch, channels, height, width], got [1,8,8]")]
    public void Conv2dNamesTheProblemAndTheShapes(int[] input, int[] weight, int stride, int groups, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Zeros(input), Zeros(weight), stride: stride, groups: groups));
        Assert.StartsWith("conv2d: ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Contains($"weight {new Shape(weight)}", error.Message);
    }

    [Fact]
    public void Conv1dReportsItsOwnShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Conv1d(Zeros(2, 3, 4), Zeros(5, 3, 6)));
        Assert.StartsWith("conv1d: ", error.Message);
        Assert.Contains("input [2,3,4], weight [5,3,6]", error.Message);
        Assert.Contains("larger than the padded input", error.Message);
    }

    [Fact]
    public void PoolingRejectsWrongRankStrideAndOversizedPaddingOrKernel()
    {
        Assert.Contains("max_pool2d: the input must be 4-D", Assert.Throws<ArgumentException>(() => Zeros(3, 4).MaxPool2d(2)).Message);
        Assert.Contains("the stride must be positive", Assert.Throws<ArgumentException>(() => Zeros(1, 1, 4, 4).MaxPool2d(2, stride: -1)).Message);
        Assert.Contains("must be at most half the kernel", Assert.Throws<ArgumentException>(() => Zeros(1, 1, 4, 4).AvgPool2d(2, padding: 2)).Message);
        Assert.Contains("avg_pool2d: the kernel 5x5 is larger than the padded input 4x4",
            Assert.Throws<ArgumentException>(() => Zeros(1, 1, 4, 4).AvgPool2d(5)).Message);
        Assert.Contains("max_pool1d: the input must be 3-D", Assert.Throws<ArgumentException>(() => Zeros(1, 1, 4, 4).MaxPool1d(2)).Message);
        Assert.Contains("adaptive_avg_pool2d: the output size must be positive",
            Assert.Throws<ArgumentException>(() => Zeros(1, 1, 4, 4).AdaptiveAvgPool2d((0, 2))).Message);
    }

    [Fact]
    public void ConvolutionBiasMustMatchTheOutputChannels()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Zeros(1, 1, 4, 4), Zeros(2, 1, 3, 3), Zeros(3)));
        Assert.Equal("conv2d: the bias must be [2] to match weight [2,1,3,3], got [3]", error.Message);
    }
}
