using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class LinearTests
{
    [Fact]
    public void ComputesInputTimesWeightTransposedPlusBias()
    {
        var input = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }, DType.Float64);
        var weight = Tensor.FromArray(new double[,] { { 1, 0 }, { 0, 1 }, { 1, -1 } }, DType.Float64);
        var bias = Tensor.FromArray(new double[] { 10, 20, 30 });
        var output = Tensor.Linear(input, weight, bias);
        Assert.Equal(new Shape(2, 3), output.Shape);
        TensorAssert.Close([11, 22, 29, 13, 24, 29], output);
        TensorAssert.Close([1, 2, -1, 3, 4, -1], Tensor.Linear(input, weight, null));
    }

    [Fact]
    public void AgreesWithMatMulOnFlattenedLeadingDimensions()
    {
        var input = Random64.Normal(1, 2, 3, 4);
        var weight = Random64.Normal(2, 5, 4);
        var bias = Random64.Normal(3, 5);
        var output = Tensor.Linear(input, weight, bias);
        Assert.Equal(new Shape(2, 3, 5), output.Shape);
        var expected = Tensor.MatMul(input.Reshape(6, 4), weight, transposeB: true) + bias;
        TensorAssert.Close(expected.Reshape(2, 3, 5), output, 1e-14);
    }

    [Fact]
    public void AcceptsAVectorInput()
    {
        var output = Tensor.Linear(Tensor.FromArray(new double[] { 1, 2 }),
            Tensor.FromArray(new double[,] { { 3, 4 } }, DType.Float64), Tensor.FromArray(new double[] { 0.5 }));
        Assert.Equal(new Shape(1), output.Shape);
        TensorAssert.Close([11.5], output);
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var weight = Random64.Normal(4, 6, 5);
        var bias = Random64.Normal(5, 6);
        ElementwiseTestData.Float32MatchesFloat64(x => Tensor.Linear(x, weight.To(x.DType), bias.To(x.DType)), Random64.Normal(6, 3, 5), 1e-5);
    }

    [Fact]
    public void OnlyInputsThatRequireGradientsGetThem()
    {
        var input = Random64.Normal(10, 3, 4).SetRequiresGrad();
        var weight = Random64.Normal(11, 2, 4);
        var bias = Random64.Normal(12, 2);
        Tensor.Linear(input, weight, bias).Sum().Backward();
        Assert.NotNull(input.Grad);
        Assert.Null(weight.Grad);
        Assert.Null(bias.Grad);
    }

    [Fact]
    public void MismatchedShapesGiveClearErrors()
    {
        var features = Assert.Throws<ArgumentException>(() =>
            Tensor.Linear(Tensor.Zeros(new Shape(2, 3)), Tensor.Zeros(new Shape(4, 5)), null));
        Assert.Contains("linear", features.Message);
        Assert.Contains("[2,3]", features.Message);
        Assert.Contains("[4,5]", features.Message);

        var bias = Assert.Throws<ArgumentException>(() =>
            Tensor.Linear(Tensor.Zeros(new Shape(2, 5)), Tensor.Zeros(new Shape(4, 5)), Tensor.Zeros(new Shape(3))));
        Assert.Contains("bias", bias.Message);
        Assert.Contains("[3]", bias.Message);

        var weight = Assert.Throws<ArgumentException>(() =>
            Tensor.Linear(Tensor.Zeros(new Shape(2, 5)), Tensor.Zeros(new Shape(5)), null));
        Assert.Contains("2-D", weight.Message);

        var type = Assert.Throws<ArgumentException>(() =>
            Tensor.Linear(Tensor.Zeros(new Shape(2, 5)), Tensor.Zeros(new Shape(4, 5), DType.Float64), null));
        Assert.Contains("float64", type.Message);
    }
}
