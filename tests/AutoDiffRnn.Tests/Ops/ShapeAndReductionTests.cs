using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class SumExpandReshapeTests
{
    [Fact]
    public void SumOverAxesWithAndWithoutKeepDim()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, new Shape(2, 3));
        TensorAssert.Close([21], x.Sum());
        Assert.Equal(Shape.Scalar, x.Sum().Shape);
        TensorAssert.Close([5, 7, 9], x.Sum(0));
        TensorAssert.Close([6, 15], x.Sum(-1));
        Assert.Equal(new Shape(2, 1), x.Sum(1, keepDim: true).Shape);
        TensorAssert.Close([21], x.Sum([0, 1], keepDim: true));
        Assert.Equal(new Shape(1, 1), x.Sum([0, 1], keepDim: true).Shape);
        Assert.Throws<ArgumentException>(() => x.Sum([1, 1]));
    }

    [Fact]
    public void ExpandAndSumToAreAdjoint()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, new Shape(2, 1));
        var expanded = x.Expand(new Shape(3, 2, 4));
        Assert.Equal(new Shape(3, 2, 4), expanded.Shape);
        Assert.Equal(2, expanded[2, 1, 3]);
        TensorAssert.Close([12, 24], expanded.SumTo(new Shape(2, 1)));
        Assert.Throws<ArgumentException>(() => x.Expand(new Shape(3, 4)));
        Assert.Throws<ArgumentException>(() => expanded.SumTo(new Shape(5)));
        GradientAssert.MatchesFiniteDifferences(t => t.Expand(new Shape(3, 2, 4)), Random64.Normal(13, 2, 1));
        GradientAssert.MatchesFiniteDifferences(t => t.SumTo(new Shape(2, 1)), Random64.Normal(14, 3, 2, 4));
        GradientAssert.MatchesFiniteDifferences(t => t.SumTo(new Shape(4)), Random64.Normal(15, 3, 2, 4));
    }

    [Fact]
    public void ReshapeInfersOneDimensionAndChecksCounts()
    {
        var x = Tensor.Arange(12, DType.Float64);
        Assert.Equal(new Shape(3, 4), x.Reshape(3, -1).Shape);
        Assert.Equal(7, x.Reshape(2, 2, 3)[1, 0, 1]);
        var error = Assert.Throws<ArgumentException>(() => x.Reshape(5, -1));
        Assert.Contains("reshape", error.Message);
        Assert.Throws<ArgumentException>(() => x.Reshape(-1, -1));
        GradientAssert.MatchesFiniteDifferences(t => t.Reshape(4, 3).Tanh(), Random64.Normal(16, 2, 6));
    }

    [Fact]
    public void TanhValuesAndGradient()
    {
        TensorAssert.Close([Math.Tanh(-1), 0, Math.Tanh(2)], Tensor.FromArray(new double[] { -1, 0, 2 }).Tanh());
        Assert.Equal(MathF.Tanh(0.5f), Tensor.FromArray(new float[] { 0.5f }).Tanh()[0L], 6);
        GradientAssert.MatchesFiniteDifferences(x => x.Tanh(), Random64.Normal(17, 3, 4));
    }
}

public class MatMulTests
{
    [Fact]
    public void MultipliesTwoByTwo()
    {
        var a = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }, DType.Float64);
        var b = Tensor.FromArray(new double[,] { { 5, 6 }, { 7, 8 } }, DType.Float64);
        TensorAssert.Close([19, 22, 43, 50], Tensor.MatMul(a, b));
        TensorAssert.Close([26, 30, 38, 44], Tensor.MatMul(a, b, transposeA: true));  // aᵀ b
        TensorAssert.Close([17, 23, 39, 53], Tensor.MatMul(a, b, transposeB: true));  // a bᵀ
        TensorAssert.Close([23, 31, 34, 46], Tensor.MatMul(a, b, true, true));       // aᵀ bᵀ = (b a)ᵀ
    }

    [Fact]
    public void BatchedMatchesPerMatrixProducts()
    {
        var a = Random64.Normal(23, 3, 2, 4);
        var b = Random64.Normal(24, 4, 5);
        var batched = Tensor.MatMul(a, b);
        for (int i = 0; i < 3; i++)
        {
            var single = Tensor.MatMul(Tensor.FromArray(a.ToDoubleArray()[(i * 8)..((i + 1) * 8)], new Shape(2, 4)), b);
            TensorAssert.Close(single.ToDoubleArray(), Tensor.FromArray(batched.ToDoubleArray()[(i * 10)..((i + 1) * 10)]));
        }
    }

    [Fact]
    public void MismatchedInnerDimensionsAreReported()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(new Shape(3, 4)), Tensor.Zeros(new Shape(5, 6))));
        Assert.Equal("matmul: cannot multiply [3,4] by [5,6]: inner dimensions 4 and 5 differ", error.Message);
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(new Shape(2, 3, 4)), Tensor.Zeros(new Shape(3, 4, 5))));
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(new Shape(4)), Tensor.Zeros(new Shape(4, 5))));
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(new Shape(3, 4)), Tensor.Zeros(new Shape(4, 5), DType.Float64)));
    }
}
