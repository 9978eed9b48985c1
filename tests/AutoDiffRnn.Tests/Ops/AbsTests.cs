using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class AbsTests
{
    [Fact]
    public void MatchesKnownValues() =>
        TensorAssert.Close([2, 0, 3.5, 0], Tensor.FromArray(new double[] { -2, 0, 3.5, -0.0 }).Abs());

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Abs(), Random64.Normal(1, 4, 5));

    [Fact]
    public void GradientIsTheSignWithZeroAtZero()
    {
        var x = Tensor.FromArray(new double[] { -2, 0, 3 }).SetRequiresGrad();
        (x.Abs() * Tensor.FromArray(new double[] { 5, 7, 11 })).Sum().Backward();
        TensorAssert.Close([-5, 0, 11], x.Grad!);
    }
}
