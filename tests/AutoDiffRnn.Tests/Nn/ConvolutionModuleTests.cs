using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>The convolution and pooling modules: PyTorch's parameter names, initialisation and shapes, and state dicts.</summary>
public class ConvolutionModuleTests
{
    [Fact]
    public void Conv2dHasPyTorchsParametersAndKaimingUniformBounds()
    {
        var layer = new Conv2d(6, 16, 5, groups: 2, dtype: DType.Float64, generator: new Generator(1));
        var names = layer.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["weight", "bias"], names);
        Assert.Equal(new Shape(16, 3, 5, 5), layer.Weight.Shape);
        double bound = 1 / Math.Sqrt(3 * 5 * 5); // fan_in = in/groups · kH · kW
        foreach (var values in new[] { layer.Weight.ToDoubleArray(), layer.Bias!.ToDoubleArray() })
        {
            Assert.All(values, v => Assert.InRange(v, -bound, bound));
        }
        var weights = layer.Weight.ToDoubleArray();
        Assert.True(weights.Max() > 0.9 * bound && weights.Min() < -0.9 * bound, "the draws fill U(-bound, bound)");
    }

    [Fact]
    public void Conv1dBoundUsesInOverGroupsTimesKernel()
    {
        var layer = new Conv1d(4, 8, 3, bias: false, dtype: DType.Float64, generator: new Generator(2));
        Assert.Equal(["weight"], layer.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(new Shape(8, 4, 3), layer.Weight.Shape);
        Assert.All(layer.Weight.ToDoubleArray(), v => Assert.InRange(v, -1 / Math.Sqrt(12), 1 / Math.Sqrt(12)));
        var x = Random64.Normal(3, 2, 4, 10);
        TensorAssert.Close(Tensor.Conv1d(x, layer.Weight), layer.Forward(x), 0);
        Assert.Equal(new Shape(2, 8, 8), layer.Forward(x).Shape);
    }

    [Fact]
    public void TheNotesNetworkShapesThroughModules()
    {
        var conv = new Conv2d(1, 16, 5, dtype: DType.Float64, generator: new Generator(4));
        var pool = new MaxPool2d(2);
        var flatten = new Flatten();
        var x = Random64.Normal(5, 3, 1, 28, 28);
        var map = conv.Forward(x).Relu();
        Assert.Equal(new Shape(3, 16, 24, 24), map.Shape);
        var pooled = pool.Forward(map);
        Assert.Equal(new Shape(3, 16, 12, 12), pooled.Shape);
        Assert.Equal(new Shape(3, 16 * 12 * 12), flatten.Forward(pooled).Shape);
        Assert.Equal(new Shape(3, 16, 12, 12), new AvgPool2d(2).Forward(map).Shape);
        Assert.Equal(new Shape(3, 16, 1, 1), new AdaptiveAvgPool2d((1, 1)).Forward(map).Shape);
        TensorAssert.Close(map.Mean([2, 3], keepDim: true), new AdaptiveAvgPool2d((1, 1)).Forward(map), 1e-14);
    }

    [Fact]
    public void StateDictRoundTripsIntoAFreshLayer()
    {
        var trained = new Conv2d(2, 3, (3, 2), stride: (2, 1), padding: Padding.Same, dtype: DType.Float64, generator: new Generator(6));
        var fresh = new Conv2d(2, 3, (3, 2), stride: (2, 1), padding: Padding.Same, dtype: DType.Float64, generator: new Generator(7));
        var x = Random64.Normal(8, 1, 2, 7, 5);
        Assert.NotEqual(trained.Forward(x).ToDoubleArray(), fresh.Forward(x).ToDoubleArray());
        fresh.LoadStateDict(trained.StateDict());
        TensorAssert.Close(trained.Forward(x), fresh.Forward(x), 0);
    }

    [Fact]
    public void ModulesRejectChannelsNotDivisibleByGroups()
    {
        var error = Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2));
        Assert.Equal("Conv2d: in=3 and out=4 channels must both be divisible by groups=2", error.Message);
    }
}
