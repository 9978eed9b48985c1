using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ComparisonTests
{
    private static readonly Tensor Left = Tensor.FromArray(new double[] { 1, 2, 3, double.NaN });
    private static readonly Tensor Right = Tensor.FromArray(new double[] { 2, 2, 2, 2 });

    [Fact]
    public void ComparesElementWiseWithNaNFalse()
    {
        TensorAssert.Close([0, 0, 1, 0], Left.Greater(Right));
        TensorAssert.Close([1, 0, 0, 0], Left.Less(Right));
        TensorAssert.Close([0, 1, 0, 0], Left.Equal(Right));
        TensorAssert.Close([0, 1, 1, 0], Left.GreaterOrEqual(Right));
        TensorAssert.Close([1, 1, 0, 0], Left.LessOrEqual(Right));
    }

    [Fact]
    public void ComparesWithScalars()
    {
        TensorAssert.Close([0, 0, 1, 0], Left.Greater(2));
        TensorAssert.Close([1, 0, 0, 0], Left.Less(2));
        TensorAssert.Close([0, 1, 0, 0], Left.Equal(2));
        TensorAssert.Close([0, 1, 1, 0], Left.GreaterOrEqual(2));
        TensorAssert.Close([1, 1, 0, 0], Left.LessOrEqual(2));
    }

    [Fact]
    public void Broadcasts()
    {
        var column = Tensor.FromArray(new double[] { 1, 2 }, new Shape(2, 1));
        var row = Tensor.FromArray(new double[] { 0, 1, 2 });
        var mask = column.Greater(row);
        Assert.Equal(new Shape(2, 3), mask.Shape);
        TensorAssert.Close([1, 0, 0, 1, 1, 0], mask);
    }

    [Fact]
    public void KeepsTheElementType()
    {
        var mask = Tensor.FromArray(new float[] { -1, 1 }).Greater(0);
        Assert.Equal(DType.Float32, mask.DType);
        Assert.Equal(new float[] { 0, 1 }, mask.ToFloatArray());
        Assert.Equal(DType.Float64, Left.Less(Right).DType);
    }

    [Fact]
    public void IsNotRecordedOnTheTape()
    {
        var x = Random64.Normal(1, 3).SetRequiresGrad();
        var mask = x.Greater(0);
        Assert.False(mask.RequiresGrad);
        Assert.Null(mask.GradFn);
        // Used as a constant factor, the mask passes gradients only to x's own use.
        (x * mask).Sum().Backward();
        TensorAssert.Close(mask.ToDoubleArray(), x.Grad!);
    }

    [Fact]
    public void MismatchedShapesAndTypesNameTheComparison()
    {
        var shapeError = Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(3)).Less(Tensor.Zeros(new Shape(4))));
        Assert.Contains("less", shapeError.Message);
        Assert.Contains("[3]", shapeError.Message);
        var typeError = Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(3)).Equal(Tensor.Zeros(new Shape(3), DType.Float64)));
        Assert.Contains("equal", typeError.Message);
    }
}
