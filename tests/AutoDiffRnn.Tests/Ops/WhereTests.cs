using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class WhereTests
{
    [Fact]
    public void SelectsWhereTheConditionIsNonzero()
    {
        var condition = Tensor.FromArray(new double[] { 1, 0, -2, double.NaN });
        var whenTrue = Tensor.FromArray(new double[] { 10, 20, 30, 40 });
        var whenFalse = Tensor.FromArray(new double[] { -10, -20, -30, -40 });
        TensorAssert.Close([10, -20, 30, 40], Tensor.Where(condition, whenTrue, whenFalse));
    }

    [Fact]
    public void BroadcastsAllThreeTogether()
    {
        var condition = Tensor.FromArray(new double[] { 1, 0 }, new Shape(2, 1));
        var whenTrue = Tensor.FromArray(new double[] { 1, 2, 3 });
        var whenFalse = Tensor.Scalar(-1, DType.Float64);
        var result = Tensor.Where(condition, whenTrue, whenFalse);
        Assert.Equal(new Shape(2, 3), result.Shape);
        TensorAssert.Close([1, 2, 3, -1, -1, -1], result);
    }

    [Fact]
    public void AcceptsAConditionOfTheOtherElementType()
    {
        var condition = Tensor.FromArray(new double[] { 1e-300, 0 }); // nonzero in float64 though it would round to 0 in float32
        var result = Tensor.Where(condition, Tensor.FromArray(new float[] { 1, 2 }), Tensor.FromArray(new float[] { 3, 4 }));
        Assert.Equal(DType.Float32, result.DType);
        Assert.Equal(new float[] { 1, 4 }, result.ToFloatArray());
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var condition = Random64.Normal(1, 4, 5).Greater(0);
        var other = Random64.Normal(2, 5);
        ElementwiseTestData.Float32MatchesFloat64(
            x => Tensor.Where(condition, x, other.To(x.DType)), Random64.Normal(3, 4, 5));
    }

    [Fact]
    public void GradientGoesToTheSelectedSideAndNotToTheCondition()
    {
        var condition = Tensor.FromArray(new double[] { 1, 0, 1 }).SetRequiresGrad();
        var whenTrue = Tensor.FromArray(new double[] { 1, 2, 3 }).SetRequiresGrad();
        var whenFalse = Tensor.Scalar(5, DType.Float64).SetRequiresGrad();
        (Tensor.Where(condition, whenTrue, whenFalse) * Tensor.FromArray(new double[] { 2, 3, 4 })).Sum().Backward();
        TensorAssert.Close([2, 0, 4], whenTrue.Grad!);
        TensorAssert.Close([3], whenFalse.Grad!);
        Assert.Null(condition.Grad);
    }

    [Fact]
    public void OnlyTheValuesMakeTheResultRequireGradients()
    {
        var condition = Tensor.FromArray(new double[] { 1, 0 }).SetRequiresGrad();
        Assert.False(Tensor.Where(condition, Tensor.Zeros(new Shape(2), DType.Float64), Tensor.Ones(new Shape(2), DType.Float64)).RequiresGrad);
    }

    [Fact]
    public void MismatchesNameTheOp()
    {
        var shapeError = Assert.Throws<ArgumentException>(() =>
            Tensor.Where(Tensor.Ones(new Shape(3)), Tensor.Ones(new Shape(4)), Tensor.Ones(new Shape(1))));
        Assert.Contains("where", shapeError.Message);
        var typeError = Assert.Throws<ArgumentException>(() =>
            Tensor.Where(Tensor.Ones(new Shape(3)), Tensor.Ones(new Shape(3)), Tensor.Ones(new Shape(3), DType.Float64)));
        Assert.Contains("where", typeError.Message);
    }
}
