using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ArithmeticTests
{
    [Fact]
    public void AddBroadcastsRowVectorOverMatrix()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, new Shape(2, 3));
        var b = Tensor.FromArray(new double[] { 10, 20, 30 });
        TensorAssert.Close([11, 22, 33, 14, 25, 36], a + b);
        Assert.Equal(new Shape(2, 3), (a + b).Shape);
    }

    [Fact]
    public void SubAndMulFollowBroadcastingAcrossColumns()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, new Shape(2, 2));
        var column = Tensor.FromArray(new double[] { 1, 10 }, new Shape(2, 1));
        TensorAssert.Close([0, 1, -7, -6], a - column);
        TensorAssert.Close([1, 2, 30, 40], a * column);
        TensorAssert.Close([-1, -2, -3, -4], -a);
        TensorAssert.Close([3, 5, 7, 9], a * 2.0 + 1.0);
    }

    [Fact]
    public void IncompatibleShapesNameTheOpAndBothShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(3, 4)) + Tensor.Zeros(new Shape(5)));
        Assert.Contains("add", error.Message);
        Assert.Contains("[3,4]", error.Message);
        Assert.Contains("[5]", error.Message);
    }

    [Fact]
    public void MixedElementTypesAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(2)) * Tensor.Zeros(new Shape(2), DType.Float64));
        Assert.Contains("mul", error.Message);
        Assert.Contains("float32", error.Message);
        Assert.Contains("float64", error.Message);
    }
}
