using Xunit.Sdk;

namespace AutoDiffRnn.Tests.Support;

/// <summary>What <see cref="TensorAssert.Close(double[], Tensor, double)"/> accepts: absolute error up to 1, relative error above.</summary>
public class TensorAssertTests
{
    [Theory]
    [InlineData(0.5, 0.5 + 0.9e-12, true)]
    [InlineData(0.5, 0.5 + 2e-12, false)]      // below 1 the tolerance is absolute
    [InlineData(1000, 1000 + 0.9e-9, true)]    // above 1 it scales with the expected value
    [InlineData(1000, 1000 + 2e-9, false)]
    [InlineData(-1000, -1000 - 0.9e-9, true)]
    public void ToleranceIsAbsoluteUpToOneAndRelativeAbove(double expected, double actual, bool accepted)
    {
        var tensor = Tensor.FromArray([actual], new Shape(1));
        if (accepted) TensorAssert.Close([expected], tensor, 1e-12);
        else Assert.Throws<TrueException>(() => TensorAssert.Close([expected], tensor, 1e-12));
    }

    [Fact]
    public void ShapesMustAgree() =>
        Assert.Throws<EqualException>(() => TensorAssert.Close(Tensor.FromArray([1.0, 2.0], new Shape(2)), Tensor.FromArray([1.0, 2.0], new Shape(1, 2))));
}
