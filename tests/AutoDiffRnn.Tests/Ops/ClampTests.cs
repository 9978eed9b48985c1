using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ClampTests
{
    private static readonly Tensor Values = Tensor.FromArray(new double[] { -3, -1, 0, 1, 3 });

    [Fact]
    public void LimitsToEitherOrBothBounds()
    {
        TensorAssert.Close([-1, -1, 0, 1, 1], Values.Clamp(-1, 1));
        TensorAssert.Close([0, 0, 0, 1, 3], Values.Clamp(0, null));
        TensorAssert.Close([-3, -1, 0, 0.5, 0.5], Values.Clamp(null, 0.5));
    }

    [Fact]
    public void MinAboveMaxGivesMaxEverywhereAndNaNStaysNaN()
    {
        TensorAssert.Close([1, 1, 1, 1, 1], Values.Clamp(2, 1));
        Assert.True(double.IsNaN(Tensor.FromArray(new double[] { double.NaN }).Clamp(-1, 1).ToScalar()));
    }

    [Fact]
    public void NoBoundIsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => Values.Clamp(null, null));
        Assert.Contains("clamp", error.Message);
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Clamp(-0.5, 0.7), Random64.Normal(1, 4, 5));

    [Fact]
    public void GradientPassesInsideAndOnTheBounds()
    {
        var x = Values.Detach().Clone().SetRequiresGrad();
        x.Clamp(-1, 1).Sum().Backward();
        TensorAssert.Close([0, 1, 1, 1, 0], x.Grad!);
    }
}
