using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ExpTests
{
    [Fact]
    public void MatchesKnownValues()
    {
        TensorAssert.Close([1, Math.E, 1 / Math.E, Math.Exp(2.5)], Tensor.FromArray(new double[] { 0, 1, -1, 2.5 }).Exp(), 1e-15);
        Assert.Equal(double.PositiveInfinity, Tensor.FromArray(new double[] { 1000 }).Exp().ToScalar());
        Assert.Equal(0.0, Tensor.FromArray(new double[] { -1000 }).Exp().ToScalar());
    }

    [Fact]
    public void TurnsSumsIntoProducts()
    {
        var a = Random64.Normal(1, 3, 4);
        var b = Random64.Normal(2, 3, 4);
        TensorAssert.Close((a + b).Exp(), a.Exp() * b.Exp(), 1e-14);
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Exp(), Random64.Normal(3, 4, 5));
}
