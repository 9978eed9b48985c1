using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class DivideTests
{
    [Fact]
    public void DividesElementWiseWithIeeeSpecialValues()
    {
        var a = Tensor.FromArray(new double[] { 6, -3, 1, 0 });
        var b = Tensor.FromArray(new double[] { 2, 4, 0, 0 });
        var quotient = (a / b).ToDoubleArray();
        Assert.Equal(new double[] { 3, -0.75 }, quotient[..2]);
        Assert.Equal(double.PositiveInfinity, quotient[2]);
        Assert.True(double.IsNaN(quotient[3]));
    }

    [Fact]
    public void BroadcastsAndAcceptsScalarsOnEitherSide()
    {
        var a = Tensor.FromArray(new double[] { 2, 4, 6, 8 }, new Shape(2, 2));
        var column = Tensor.FromArray(new double[] { 2, 4 }, new Shape(2, 1));
        TensorAssert.Close([1, 2, 1.5, 2], a / column);
        TensorAssert.Close([1, 2, 3, 4], a / 2.0);
        TensorAssert.Close([12, 6, 4, 3], 24.0 / a);
        TensorAssert.Close([1, 2, 1.5, 2], a.Divide(column));
    }

    [Fact]
    public void QuotientTimesDivisorGivesBackTheDividend()
    {
        var a = Random64.Normal(1, 3, 4);
        var b = Random64.Uniform(2, 0.5, 2, 4);
        TensorAssert.Close(a, a / b * b, 1e-14);
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var b = Random64.Uniform(2, 0.5, 2, 3, 4);
        ElementwiseTestData.Float32MatchesFloat64(a => a / b.To(a.DType), Random64.Normal(1, 3, 4));
    }

    [Fact]
    public void IncompatibleShapesNameTheOpAndBothShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Ones(new Shape(3, 4)) / Tensor.Ones(new Shape(5)));
        Assert.Contains("div", error.Message);
        Assert.Contains("[3,4]", error.Message);
        Assert.Contains("[5]", error.Message);
    }
}
