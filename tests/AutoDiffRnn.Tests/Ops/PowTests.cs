using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class PowTests
{
    [Fact]
    public void RaisesToScalarExponents()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 });
        TensorAssert.Close([1, 4, 9, 16], x.Pow(2));
        TensorAssert.Close([1, Math.Sqrt(2), Math.Sqrt(3), 2], x.Pow(0.5));
        TensorAssert.Close([1, 0.5, 1 / 3.0, 0.25], x.Pow(-1));
    }

    [Fact]
    public void NegativeBaseIntegerExponentAndZeroExponentFollowMathPow()
    {
        TensorAssert.Close([-8, 8], Tensor.FromArray(new double[] { -2, 2 }).Pow(3));
        TensorAssert.Close([1, 1, 1], Tensor.FromArray(new double[] { 0, -5, 7 }).Pow(0));
        Assert.True(double.IsNaN(Tensor.FromArray(new double[] { -4 }).Pow(0.5).ToScalar()));
    }

    [Fact]
    public void Float32MatchesFloat64() =>
        ElementwiseTestData.Float32MatchesFloat64(x => x.Pow(1.7), Random64.Uniform(1, 0.1, 3, 3, 4));

    [Fact]
    public void ZeroExponentHasZeroGradientEvenAtZero()
    {
        var x = Tensor.FromArray(new double[] { 0, 2 }).SetRequiresGrad();
        x.Pow(0).Sum().Backward();
        TensorAssert.Close([0, 0], x.Grad!);
    }

    [Fact]
    public void GradientIsExponentTimesPowerMinusOne()
    {
        var x = Tensor.FromArray(new double[] { 2, 3 }).SetRequiresGrad();
        x.Pow(3).Sum().Backward();
        TensorAssert.Close([12, 27], x.Grad!);
    }
}
