using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class LogTests
{
    [Fact]
    public void MatchesKnownValues()
    {
        TensorAssert.Close([0, 1, -1, Math.Log(7)], Tensor.FromArray(new double[] { 1, Math.E, 1 / Math.E, 7 }).Log(), 1e-15);
        var special = Tensor.FromArray(new double[] { 0, -1 }).Log().ToDoubleArray();
        Assert.Equal(double.NegativeInfinity, special[0]);
        Assert.True(double.IsNaN(special[1]));
    }

    [Fact]
    public void InvertsExp()
    {
        var x = Random64.Normal(1, 3, 4);
        TensorAssert.Close(x, x.Exp().Log(), 1e-14);
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Log(), Random64.Uniform(2, 0.1, 10, 4, 5));
}
