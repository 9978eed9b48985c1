using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class SqrtTests
{
    [Fact]
    public void MatchesKnownValues()
    {
        TensorAssert.Close([0, 1, 2, 1.5], Tensor.FromArray(new double[] { 0, 1, 4, 2.25 }).Sqrt());
        Assert.True(double.IsNaN(Tensor.FromArray(new double[] { -1 }).Sqrt().ToScalar()));
    }

    [Fact]
    public void SquaringGivesBackTheInput()
    {
        var x = Random64.Uniform(1, 0, 5, 3, 4);
        var root = x.Sqrt();
        TensorAssert.Close(x, root * root, 1e-14);
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Sqrt(), Random64.Uniform(2, 0, 10, 4, 5));

    [Fact]
    public void GradientIsOneOverTwiceTheRoot()
    {
        var x = Tensor.FromArray(new double[] { 4, 0.25 }).SetRequiresGrad();
        x.Sqrt().Sum().Backward();
        TensorAssert.Close([0.25, 1], x.Grad!);
    }
}
