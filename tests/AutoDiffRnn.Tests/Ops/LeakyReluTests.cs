using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class LeakyReluTests
{
    [Fact]
    public void ScalesNegativeValuesByTheSlope()
    {
        var x = Tensor.FromArray(new double[] { -2, 0, 3 });
        TensorAssert.Close([-0.02, 0, 3], x.LeakyRelu());
        TensorAssert.Close([-0.4, 0, 3], x.LeakyRelu(0.2));
        TensorAssert.Close([-4, 0, 3], x.LeakyRelu(2));
        TensorAssert.Close([1, 0, 3], x.LeakyRelu(-0.5));
        TensorAssert.Close([0, 0, 3], x.LeakyRelu(0));
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.LeakyRelu(0.1), Random64.Normal(1, 4, 5));

    [Fact]
    public void GradientIsOneAboveZeroAndTheSlopeAtOrBelowZero()
    {
        var x = Tensor.FromArray(new double[] { -1, 0, 2 }).SetRequiresGrad();
        x.LeakyRelu(0.3).Sum().Backward();
        TensorAssert.Close([0.3, 0.3, 1], x.Grad!);
    }

    [Fact]
    public void NonFiniteSlopeIsRejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(new Shape(2)).LeakyRelu(double.NaN));
        Assert.Contains("leaky_relu", error.Message);
    }
}
