using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class SigmoidTests
{
    [Fact]
    public void MatchesKnownValues() =>
        TensorAssert.Close([0.5, 1 / (1 + Math.Exp(-2)), 1 / (1 + Math.Exp(3))], Tensor.FromArray(new double[] { 0, 2, -3 }).Sigmoid(), 1e-15);

    [Fact]
    public void IsSymmetricAroundOneHalf()
    {
        var x = Random64.Normal(1, 3, 4);
        TensorAssert.Close(Tensor.Ones(new Shape(3, 4), DType.Float64), x.Sigmoid() + (-x).Sigmoid(), 1e-15);
    }

    [Fact]
    public void SaturatesWithoutNaN()
    {
        TensorAssert.Close([0, 1], Tensor.FromArray(new double[] { -1000, 1000 }).Sigmoid());
        TensorAssert.Close([0, 1], Tensor.FromArray(new float[] { -1000, 1000 }).Sigmoid());
    }

    [Fact]
    public void Float32MatchesFloat64() => ElementwiseTestData.Float32MatchesFloat64(x => x.Sigmoid(), Random64.Normal(2, 4, 5));
}
