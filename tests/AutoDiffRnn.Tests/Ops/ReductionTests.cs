using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class ReductionTests
{
    private static readonly Tensor Matrix = Tensor.FromArray(new double[] { 1, 5, 3, 4, 2, 6 }, new Shape(2, 3));

    [Fact]
    public void ArgMaxAndArgMinGiveTheIndicesAlongTheAxis()
    {
        // (the values of mean, max and min at this matrix, their float32 values, tied maxima and empty tensors are reference and
        // error inputs of their rows in OpTable)
        Assert.Equal(new[] { 1, 2 }, Matrix.ArgMax(1));
        Assert.Equal(new[] { 1, 0, 1 }, Matrix.ArgMax(0));
        Assert.Equal(new[] { 0, 1 }, Matrix.ArgMin(1));
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
