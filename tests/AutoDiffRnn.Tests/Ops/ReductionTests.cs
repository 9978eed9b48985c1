using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ReductionTests
{
    private static readonly Tensor Matrix = Tensor.FromArray(new double[] { 1, 5, 3, 4, 2, 6 }, new Shape(2, 3));

    [Fact]
    public void MeanMaxMinValues()
    {
        TensorAssert.Close([3.5], Matrix.Mean());
        TensorAssert.Close([2.5, 3.5, 4.5], Matrix.Mean(0));
        TensorAssert.Close([3, 4], Matrix.Mean(1));
        Assert.Equal(new Shape(2, 1), Matrix.Mean(1, keepDim: true).Shape);
        TensorAssert.Close([6], Matrix.Max());
        TensorAssert.Close([4, 5, 6], Matrix.Max(0));
        TensorAssert.Close([5, 6], Matrix.Max(-1));
        TensorAssert.Close([1], Matrix.Min());
        TensorAssert.Close([1, 2], Matrix.Min(1));
        TensorAssert.Close([1, 2, 3], Matrix.Min(0));
        Assert.Equal(new[] { 1, 2 }, Matrix.ArgMax(1));
        Assert.Equal(new[] { 1, 0, 1 }, Matrix.ArgMax(0));
        Assert.Equal(new[] { 0, 1 }, Matrix.ArgMin(1));
        Assert.Equal(6f, Matrix.To(DType.Float32).Max().ToScalar());
        Assert.Equal(3.5f, Matrix.To(DType.Float32).Mean().ToScalar());
    }

    [Fact]
    public void TiedMaximaShareTheGradientEvenly()
    {
        var x = Tensor.FromArray(new double[] { 2, 7, 7, 1 }).SetRequiresGrad();
        x.Max().Backward();
        TensorAssert.Close([0, 0.5, 0.5, 0], x.Grad!);
    }

    [Fact]
    public void TheMaxOfAnEmptyTensorIsAnErrorAndItsMeanIsNaNAsInPyTorch()
    {
        Assert.Contains("max", Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(0, 3)).Max()).Message);
        Assert.True(double.IsNaN(Tensor.Zeros(new Shape(0)).Mean().ToScalar()));
        Assert.All(Tensor.Zeros(new Shape(2, 0)).Mean(1).ToDoubleArray(), value => Assert.True(double.IsNaN(value)));
    }
}

public class SoftmaxTests
{
    [Fact]
    public void SoftmaxValuesSumToOneAlongTheAxis()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 1, 1, 1 }, new Shape(2, 3));
        double e = Math.Exp(1), total = e + e * e + e * e * e;
        TensorAssert.Close([e / total, e * e / total, e * e * e / total, 1.0 / 3, 1.0 / 3, 1.0 / 3], x.Softmax(1));
        TensorAssert.Close([1, 1, 1], x.Softmax(0).Sum(0));
        TensorAssert.Close(x.Softmax(1).Log().ToDoubleArray(), x.LogSoftmax(1));
        TensorAssert.Close([Math.Log(total), 1 + Math.Log(3)], x.LogSumExp(1));
        Assert.Equal(new Shape(2, 1), x.LogSumExp(-1, keepDim: true).Shape);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void HugeLogitsStayFiniteAndCorrect(DType dtype)
    {
        var x = Tensor.FromArray(new double[] { 1e4, 1e4 - 1, -1e4 }, new Shape(3), dtype);
        var softmax = x.Softmax(0).ToDoubleArray();
        double expected0 = 1 / (1 + Math.Exp(-1));
        Assert.Equal(expected0, softmax[0], 6);
        Assert.Equal(1 - expected0, softmax[1], 6);
        Assert.Equal(0, softmax[2]);
        var logSoftmax = x.LogSoftmax(0).ToDoubleArray();
        Assert.Equal(-Math.Log(1 + Math.Exp(-1)), logSoftmax[0], 5);
        Assert.Equal(-2e4 - Math.Log(1 + Math.Exp(-1)), logSoftmax[2], 0);
        Assert.Equal(1e4 + Math.Log(1 + Math.Exp(-1)), x.LogSumExp(0).ToScalar(), 2);
        Assert.All(softmax.Concat(logSoftmax), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void SecondDerivativesMatchFiniteDifferencesOfTheGradient()
    {
        // d/dx of (d/dx logsumexp(x)) · v, checked through the double backward against finite differences of the gradient
        var v = Random64.Normal(45, 4);
        Tensor Gradient(Tensor point)
        {
            var x = point.Detach().Clone().SetRequiresGrad();
            x.LogSumExp(0).Backward(createGraph: true);
            return x.Grad!;
        }
        var x0 = Random64.Normal(46, 4).SetRequiresGrad();
        x0.LogSumExp(0).Backward(createGraph: true);
        var gradient = x0.Grad!;
        x0.ZeroGrad();
        (gradient * v).Sum().Backward();
        double step = 1e-5;
        var numeric = (Gradient(x0.Detach() + v * step) - Gradient(x0.Detach() - v * step)) * (1 / (2 * step));
        Assert.True(GradientAssert.RelativeError(x0.Grad!.ToDoubleArray(), numeric.ToDoubleArray()) < 1e-6);
    }
}
