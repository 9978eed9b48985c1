using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationFunctionsFillShapesAndTypes()
    {
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0 }, Tensor.Zeros(new Shape(2, 3)).ToFloatArray());
        Assert.Equal(DType.Float64, Tensor.Ones(new Shape(2), DType.Float64).DType);
        Assert.Equal(new double[] { 2.5, 2.5 }, Tensor.Full(new Shape(2), 2.5, DType.Float64).ToDoubleArray());
        Assert.Equal(new float[] { 0, 1, 2, 3 }, Tensor.Arange(4).ToFloatArray());
        Assert.Equal(new double[] { 1, 1.5, 2, 2.5 }, Tensor.Arange(1, 3, 0.5, DType.Float64).ToDoubleArray());
        var scalar = Tensor.Scalar(7);
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(7, scalar.ToScalar());
    }

    [Fact]
    public void ShapeReportsRankCountAndNegativeAxes()
    {
        var shape = new Shape(2, 3, 4);
        Assert.Equal(3, shape.Rank);
        Assert.Equal(24, shape.ElementCount);
        Assert.Equal(4, shape[-1]);
        Assert.Equal("[2,3,4]", shape.ToString());
        Assert.Equal(1, Shape.Scalar.ElementCount);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => shape.NormalizeAxis(3, "sum"));
        Assert.Contains("sum", error.Message);
        Assert.Throws<ArgumentException>(() => new Shape(2, -1));
    }

    [Fact]
    public void IndexingIsRowMajor()
    {
        var t = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, new Shape(2, 3));
        Assert.Equal(6, t[1, 2]);
        Assert.Equal(2, t[0, 1]);
        Assert.Contains("dim 0", Assert.Throws<ArgumentOutOfRangeException>(() => t[2, 0]).Message);
    }

    [Fact]
    public void FromArrayRejectsAShapeThatDoesNotFit()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, 2, 3 }, new Shape(2, 2)));
        Assert.Contains("[2,2]", error.Message);
        Assert.Contains("3", error.Message);
    }

    [Fact]
    public void SeededRandomTensorsAreReproducible()
    {
        var a = Tensor.Normal(new Shape(100), generator: new Generator(42));
        var b = Tensor.Normal(new Shape(100), generator: new Generator(42));
        var c = Tensor.Normal(new Shape(100), generator: new Generator(43));
        Assert.Equal(a.ToFloatArray(), b.ToFloatArray());
        Assert.NotEqual(a.ToFloatArray(), c.ToFloatArray());
    }

    [Fact]
    public void RandomDistributionsHaveTheRightMoments()
    {
        var normal = Tensor.Normal(new Shape(20000), 1.0, 2.0, DType.Float64, new Generator(1)).ToDoubleArray();
        double mean = normal.Average(), variance = normal.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, 0.95, 1.05);
        Assert.InRange(Math.Sqrt(variance), 1.95, 2.05);
        var uniform = Tensor.Uniform(new Shape(20000), -1, 3, DType.Float64, new Generator(2)).ToDoubleArray();
        Assert.True(uniform.All(v => v >= -1 && v < 3));
        Assert.InRange(uniform.Average(), 0.97, 1.03);
    }

    [Fact]
    public void ToStringShowsValuesShapeTypeAndElidesLargeTensors()
    {
        var small = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, new Shape(2, 2));
        var text = small.ToString();
        Assert.Contains("[[1, 2]", text);
        Assert.Contains("[3, 4]]", text);
        Assert.Contains("shape=[2,2]", text);
        Assert.Contains("dtype=float64", text);
        var large = Tensor.Arange(5000).ToString();
        Assert.Contains("...", large);
        Assert.Contains("4999", large);
        Assert.True(large.Length < 200, large);
        Assert.Contains("grad_fn=mul", (small.Detach().SetRequiresGrad() * 2.0).ToString());
    }

    [Fact]
    public void ConversionBetweenTypesIsDifferentiable()
    {
        var x = Tensor.FromArray(new double[] { 1.5, -2 }).SetRequiresGrad();
        var y = x.To(DType.Float32);
        Assert.Equal(DType.Float32, y.DType);
        (y * y).Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        TensorAssert.Close([3, -4], x.Grad, 1e-6);
    }
}
