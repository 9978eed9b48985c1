using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class SoftplusTests
{
    private static double Reference(double x, double beta) => Math.Log(1 + Math.Exp(beta * x)) / beta;

    [Fact]
    public void MatchesTheDefinitionForModerateInputs()
    {
        var values = new double[] { -5, -1, 0, 0.5, 3, 15 };
        TensorAssert.Close(values.Select(v => Reference(v, 1)).ToArray(), Tensor.FromArray(values).Softplus(), 1e-14);
        TensorAssert.Close(values.Select(v => Reference(v, 2)).ToArray(), Tensor.FromArray(values).Softplus(beta: 2), 1e-14);
        TensorAssert.Close(values.Select(v => Reference(v, 0.5)).ToArray(), Tensor.FromArray(values).Softplus(beta: 0.5), 1e-14);
        Assert.Equal(Math.Log(2), Tensor.FromArray(new double[] { 0 }).Softplus().ToScalar(), 15);
    }

    [Fact]
    public void IsTheIdentityAboveTheThreshold()
    {
        var x = Tensor.FromArray(new double[] { 20.5, 30, 1e6 });
        Assert.Equal(x.ToDoubleArray(), x.Softplus().ToDoubleArray());
        Assert.Equal(new double[] { 3 }, Tensor.FromArray(new double[] { 3 }).Softplus(beta: 2, threshold: 5).ToDoubleArray());
    }

    [Fact]
    public void IsStableForLargeAndVeryNegativeInputs()
    {
        // Without the threshold, ln(1 + e^1000) would overflow in the naive formula; the stable one gives 1000.
        TensorAssert.Close([1000, 700.5], Tensor.FromArray(new double[] { 1000, 700.5 }).Softplus(threshold: double.PositiveInfinity));
        TensorAssert.Close([100], Tensor.FromArray(new float[] { 100 }).Softplus(threshold: 1000));
        // Far below zero softplus is e^x: tiny but positive, with full relative accuracy.
        var tiny = Tensor.FromArray(new double[] { -50, -700 }).Softplus().ToDoubleArray();
        Assert.Equal(1.0, tiny[0] / Math.Exp(-50), 12);
        Assert.Equal(1.0, tiny[1] / Math.Exp(-700), 12);
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Softplus(), Random64.Normal(1, 4, 5) * 5.0);

    [Fact]
    public void GradientIsTheSigmoidBelowAndOneAboveTheThreshold()
    {
        var x = Tensor.FromArray(new double[] { -1, 0.5, 4 }).SetRequiresGrad();
        x.Softplus(beta: 2, threshold: 6).Sum().Backward();
        TensorAssert.Close([1 / (1 + Math.Exp(2)), 1 / (1 + Math.Exp(-1)), 1], x.Grad!, 1e-15);
    }

    [Fact]
    public void ZeroBetaIsRejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(new Shape(2)).Softplus(beta: 0));
        Assert.Contains("softplus", error.Message);
    }
}
