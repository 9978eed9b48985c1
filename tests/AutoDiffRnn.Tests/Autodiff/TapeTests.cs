using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Autodiff;

public class TapeTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).SetRequiresGrad();

    [Fact]
    public void BackwardOfScalarFillsLeafGradients()
    {
        var x = Leaf(1, 2, 3);
        var y = Leaf(4, 5, 6);
        (x * y + x).Sum().Backward();
        TensorAssert.Close([5, 6, 7], x.Grad!);
        TensorAssert.Close([1, 2, 3], y.Grad!);
    }

    [Fact]
    public void ATensorUsedTwiceReceivesTheSumOfBothPaths()
    {
        var x = Leaf(3);
        (x * x * x).Sum().Backward(); // d/dx x^3 = 3x^2
        TensorAssert.Close([27], x.Grad!);
    }

    [Fact]
    public void GradientsAccumulateAcrossCallsUntilZeroed()
    {
        var x = Leaf(1, 2);
        (x * 2.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        TensorAssert.Close([5, 5], x.Grad!);
        x.ZeroGrad();
        Assert.Null(x.Grad);
        (x * 4.0).Sum().Backward();
        TensorAssert.Close([4, 4], x.Grad!);
    }

    [Fact]
    public void ExplicitOutputGradientComputesAVectorJacobianProduct()
    {
        var x = Leaf(1, 2, 3);
        var y = x * x; // J = diag(2x)
        y.Backward(Tensor.FromArray(new double[] { 1, 10, 100 }));
        TensorAssert.Close([2, 40, 600], x.Grad!);
    }

    [Fact]
    public void NonScalarBackwardWithoutGradientSaysWhatToDo()
    {
        var x = Leaf(1, 2, 3);
        var error = Assert.Throws<InvalidOperationException>(() => (x * x).Backward());
        Assert.Contains("[3]", error.Message);
        Assert.Contains("scalar", error.Message);
        Assert.Contains("output gradient", error.Message);
    }

    [Fact]
    public void OutputGradientOfTheWrongShapeIsRejected()
    {
        var x = Leaf(1, 2, 3);
        var error = Assert.Throws<ArgumentException>(() => (x * x).Backward(Tensor.Ones(new Shape(2), DType.Float64)));
        Assert.Contains("[2]", error.Message);
        Assert.Contains("[3]", error.Message);
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphThrowsAndNamesRetainGraph()
    {
        var x = Leaf(1, 2);
        var loss = x.Tanh().Sum();
        loss.Backward();
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("freed", error.Message);
        Assert.Contains("retainGraph", error.Message);
    }

    [Fact]
    public void RetainedGraphCanBeWalkedTwice()
    {
        var x = Leaf(0.5);
        var loss = x.Tanh().Sum();
        loss.Backward(retainGraph: true);
        loss.Backward();
        double once = 1 - Math.Tanh(0.5) * Math.Tanh(0.5);
        TensorAssert.Close([2 * once], x.Grad!);
    }

    [Fact]
    public void NoGradScopeRecordsNothingAndRestoresRecording()
    {
        var x = Leaf(1, 2);
        Tensor inside;
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            inside = x * x;
        }
        Assert.True(GradMode.IsEnabled);
        Assert.Null(inside.GradFn);
        Assert.False(inside.RequiresGrad);
        Assert.NotNull((x * x).GradFn);
        var error = Assert.Throws<InvalidOperationException>(() => inside.Sum().Backward());
        Assert.Contains("does not require gradients", error.Message);
    }

    [Fact]
    public void DetachStopsGradientFlow()
    {
        var x = Leaf(2);
        var loss = (x * x.Detach()).Sum(); // gradient only through the first factor
        loss.Backward();
        TensorAssert.Close([2], x.Grad!);
    }

    [Fact]
    public void TheGraphIsInspectable()
    {
        var x = Leaf(1, 2);
        var y = (x * x).Tanh();
        Assert.Equal("tanh", y.GradFn!.OperationName);
        var product = y.GradFn.Inputs[0];
        Assert.Equal("mul", product.GradFn!.OperationName);
        Assert.Same(x, product.GradFn.Inputs[0]);
        Assert.True(x.IsLeaf);
        Assert.False(y.IsLeaf);
    }

    [Fact]
    public void RequiresGradCannotBeChangedOnAComputedTensor()
    {
        var y = Leaf(1) * 2.0;
        var error = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("mul", error.Message);
    }

    [Fact]
    public void ADeepChainDoesNotOverflowTheStack()
    {
        var x = Leaf(1);
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1.0 + 0.0;
        y.Sum().Backward();
        TensorAssert.Close([1], x.Grad!);
    }

    [Fact]
    public void CreateGraphGivesDifferentiableGradients()
    {
        var x = Leaf(0.3, -0.7);
        x.Tanh().Sum().Backward(createGraph: true);
        var firstDerivative = x.Grad!;
        Assert.True(firstDerivative.RequiresGrad);
        x.ZeroGrad();
        firstDerivative.Sum().Backward(); // d/dx (1 - tanh²x) = -2 tanh x (1 - tanh² x)
        TensorAssert.Close(new[] { 0.3, -0.7 }.Select(v => -2 * Math.Tanh(v) * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray(), x.Grad!);
    }

    [Fact]
    public void Float32GradientsHaveFloat32Type()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).SetRequiresGrad();
        (x * x).Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal(new float[] { 2, 4 }, x.Grad.ToFloatArray());
    }
}
