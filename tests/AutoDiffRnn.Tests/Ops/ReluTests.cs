using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ReluTests
{
    [Fact]
    public void ZeroesNegativeValues()
    {
        TensorAssert.Close([0, 0, 2, 0.5], Tensor.FromArray(new double[] { -1, 0, 2, 0.5 }).Relu());
        Assert.True(double.IsNaN(Tensor.FromArray(new double[] { double.NaN }).Relu().ToScalar()));
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Relu(), Random64.Normal(1, 4, 5));

    [Fact]
    public void GradientIsOneForPositiveAndZeroAtOrBelowZero()
    {
        var x = Tensor.FromArray(new double[] { -1, 0, 2 }).SetRequiresGrad();
        (x.Relu() * 3.0).Sum().Backward();
        TensorAssert.Close([0, 0, 3], x.Grad!);
    }
}
