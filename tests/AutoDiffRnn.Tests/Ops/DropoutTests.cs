using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class DropoutTests
{
    [Fact]
    public void SameSeedGivesTheSameMaskAndOtherSeedsDiffer()
    {
        var x = Tensor.Ones(new Shape(50, 20));
        var first = x.Dropout(0.5, training: true, new Generator(11)).ToFloatArray();
        var second = x.Dropout(0.5, training: true, new Generator(11)).ToFloatArray();
        var other = x.Dropout(0.5, training: true, new Generator(12)).ToFloatArray();
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void ZeroesAboutPAndScalesSurvivorsSoTheMeanIsPreserved()
    {
        const double p = 0.3;
        var x = Tensor.Full(new Shape(200, 100), 2.0, DType.Float64);
        var values = x.Dropout(p, training: true, new Generator(5)).ToDoubleArray();
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - 2 / (1 - p)) < 1e-12, $"unexpected value {v}"));
        double droppedFraction = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(droppedFraction, p - 0.02, p + 0.02);   // about 6 standard deviations
        Assert.InRange(values.Average(), 2 - 0.06, 2 + 0.06);
    }

    [Fact]
    public void IsTheIdentityInEvaluationAndForZeroProbability()
    {
        var x = Random64.Normal(1, 4, 5);
        Assert.Same(x, x.Dropout(0.5, training: false));
        Assert.Same(x, x.Dropout(0, training: true, new Generator(3)));
    }

    [Fact]
    public void ProbabilityOneGivesZerosAndZeroGradient()
    {
        var x = Random64.Normal(2, 3, 4).SetRequiresGrad();
        var y = x.Dropout(1, training: true, new Generator(1));
        TensorAssert.Close(new double[12], y);
        y.Sum().Backward();
        TensorAssert.Close(new double[12], x.Grad!);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ProbabilityOutsideZeroToOneIsRejected(double p)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(new Shape(2)).Dropout(p, training: true));
        Assert.Contains("dropout", error.Message);
    }

    [Fact]
    public void Float32UsesTheSameMaskAsFloat64() =>
        ElementwiseTestData.Float32MatchesFloat64(x => x.Dropout(0.4, training: true, new Generator(8)), Random64.Normal(3, 6, 7));

    [Fact]
    public void GradientIsTheScaledMask()
    {
        var x = Random64.Normal(4, 8, 8).SetRequiresGrad();
        var y = x.Dropout(0.25, training: true, new Generator(9));
        y.Sum().Backward();
        var mask = y.Detach() / x.Detach();
        TensorAssert.Close(mask, x.Grad!, 1e-12);
    }
}
