using AutoDiffRnn.Losses;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Training;

public class LossTests
{
    [Fact]
    public void CrossEntropyEqualsTheHandComputedValue()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 0, 0, 0 } }, DType.Float64);
        double first = -(3 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3))), second = Math.Log(3);
        Assert.Equal((first + second) / 2, Loss.CrossEntropy(logits, [2, 1]).ToScalar(), 12);
        Assert.Equal(first + second, Loss.CrossEntropy(logits, [2, 1], reduction: Reduction.Sum).ToScalar(), 12);
        Assert.Equal(first, Loss.CrossEntropy(logits, [2, -100]).ToScalar(), 12);   // padding ignored, mean over the rest
        Assert.Equal(second, Loss.CrossEntropy(logits, [0, 1], ignoreIndex: 0).ToScalar(), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(logits, [3, 0]));
    }

    [Fact]
    public void CrossEntropyIsStableForHugeLogits()
    {
        var logits = Tensor.FromArray(new double[,] { { 1e4, 0 }, { -1e4, 1e4 } });
        Assert.Equal(0, Loss.CrossEntropy(logits, [0, 1]).ToScalar(), 12);
        Assert.Equal(1e4, Loss.CrossEntropy(logits, [1, 1], reduction: Reduction.Sum).ToScalar(), 6);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        GradientAssert.MatchesFiniteDifferences(x => Loss.CrossEntropy(x, [2, 0, -100, 1]), Random64.Normal(1, 4, 3));
        GradientAssert.MatchesFiniteDifferences(x => Loss.NegativeLogLikelihood(x.LogSoftmax(1), [1, 1, 0], reduction: Reduction.Sum), Random64.Normal(2, 3, 3));
        GradientAssert.MatchesFiniteDifferences(x => Loss.MeanSquaredError(x[0], x[1]), [Random64.Normal(3, 2, 3), Random64.Normal(4, 2, 3)]);
        var targets = Tensor.FromArray(new double[] { 0, 1, 1, 0, 0.3, 1 }, new Shape(2, 3));
        GradientAssert.MatchesFiniteDifferences(x => Loss.BinaryCrossEntropyWithLogits(x, targets), Random64.Normal(5, 2, 3));
        var mask = Tensor.FromArray(new double[] { 1, 1, 0, 1, 0, 0 }, new Shape(3, 2));
        GradientAssert.MatchesFiniteDifferences(x => Loss.Masked(x.Pow(2), mask), Random64.Normal(6, 3, 2));
    }

    [Fact]
    public void BinaryCrossEntropyAndMaskedValues()
    {
        var logits = Tensor.FromArray(new double[] { 0, 50, -50 });
        var targets = Tensor.FromArray(new double[] { 1, 1, 1 });
        double expected = (Math.Log(2) + Math.Log(1 + Math.Exp(-50)) + 50 + Math.Log(1 + Math.Exp(-50))) / 3;
        Assert.Equal(expected, Loss.BinaryCrossEntropyWithLogits(logits, targets).ToScalar(), 12);
        var losses = Tensor.FromArray(new double[] { 1, 2, 3, 4 });
        var mask = Tensor.FromArray(new double[] { 1, 0, 1, 0 });
        Assert.Equal(2, Loss.Masked(losses, mask).ToScalar());
        Assert.Equal(4, Loss.Masked(losses, mask, Reduction.Sum).ToScalar());
        Assert.Equal(2.5, Loss.MeanSquaredError(Tensor.FromArray(new double[] { 1, 2 }), Tensor.FromArray(new double[] { 0, 4 })).ToScalar());
    }
}
