using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class Log1pTests
{
    [Fact]
    public void MatchesKnownValues()
    {
        TensorAssert.Close([0, 1, Math.Log(0.5), Math.Log(8)], Tensor.FromArray(new double[] { 0, Math.E - 1, -0.5, 7 }).Log1p(), 1e-15);
        var special = Tensor.FromArray(new double[] { -1, -2, double.PositiveInfinity }).Log1p().ToDoubleArray();
        Assert.Equal(double.NegativeInfinity, special[0]);
        Assert.True(double.IsNaN(special[1]));
        Assert.Equal(double.PositiveInfinity, special[2]);
    }

    [Fact]
    public void IsAccurateForTinyInputs()
    {
        // ln(1 + x) = x - x²/2 + x³/3 - ...: to full relative precision where 1 + x rounds to 1 or nearly so
        var x = new double[] { 1e-300, -1e-20, 3e-17, 1e-10, -2.5e-9 };
        var y = Tensor.FromArray(x).Log1p().ToDoubleArray();
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(1.0, y[i] / (x[i] - x[i] * x[i] / 2 + x[i] * x[i] * x[i] / 3), 15);
        // the direct formula loses it: ln(fl(1 + 1e-10)) is off in the 8th digit
        Assert.NotEqual(1.0, Math.Log(1 + 1e-10) / (1e-10 - 5e-21), 9);
        var tiny32 = Tensor.FromArray(new float[] { 1e-10f, -3e-8f }).Log1p().ToDoubleArray();
        Assert.Equal(1.0, tiny32[0] / 1e-10f, 6);
        Assert.Equal(1.0, tiny32[1] / -3e-8f, 6);
    }

    [Fact]
    public void GradientAtTinyInputsIsOne()
    {
        var x = Tensor.FromArray(new double[] { 1e-20, -1e-12 }).SetRequiresGrad();
        x.Log1p().Sum().Backward();
        TensorAssert.Close([1, 1 / (1 - 1e-12)], x.Grad!, 1e-15);
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Log1p(), Random64.Uniform(2, -0.9, 10, 4, 5));
}
