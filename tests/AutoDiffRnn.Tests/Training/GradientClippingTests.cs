using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Training;

/// <summary>ClipGradNorm's float64 norm, its refusal of non-finite gradients, and the argument checks of both clipping functions.</summary>
public class GradientClippingTests
{
    private static Tensor WithGrad(float[] gradient)
    {
        var parameter = Tensor.Zeros(new Shape(gradient.Length)).SetRequiresGrad();
        parameter.Grad = Tensor.FromArray(gradient);
        return parameter;
    }

    [Fact]
    public void LargeFiniteFloat32GradientsGetTheirTrueNormAndAreScaledNotZeroed()
    {
        var p = WithGrad([3e19f, 4e19f]); // the float32 sum of squares overflows; the float64 one does not
        double norm = GradientClipping.ClipGradNorm([p], 1.0);
        Assert.Equal(5e19, norm, 5e19 * 1e-6);
        TensorAssert.Close([0.6, 0.8], p.Grad!, 1e-6);
    }

    [Fact]
    public void Float64GradientsWhoseSquaresOverflowAreRescaled()
    {
        var p = Tensor.Zeros(new Shape(2), DType.Float64).SetRequiresGrad();
        p.Grad = Tensor.FromArray(new[] { 3e200, 4e200 });
        double norm = GradientClipping.ClipGradNorm([p], 10.0);
        Assert.Equal(5e200, norm, 5e200 * 1e-12);
        TensorAssert.Close([6, 8], p.Grad!, 1e-9);
    }

    [Fact]
    public void ManySmallFloat32GradientsAccumulateAsFloat64Would()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        var p = WithGrad(values);
        double expected = Math.Sqrt(values.Sum(v => (double)v * v));
        Assert.Equal(expected, GradientClipping.ClipGradNorm([p], 1e6), 1e-12);
    }

    [Theory]
    [InlineData(float.NaN, "1 NaN")]
    [InlineData(float.PositiveInfinity, "1 infinite")]
    public void ANonFiniteGradientIsRefusedNamingTheParameterAndNothingChanges(float bad, string count)
    {
        var good = WithGrad([3f, 4f]);
        var broken = WithGrad([1f, bad, 2f]);
        var error = Assert.Throws<NonFiniteGradientException>(() => GradientClipping.ClipGradNorm([good, broken], 1.0));
        Assert.Contains("parameter 1 (float32 [3])", error.Message);
        Assert.Contains(count + " of 3 elements", error.Message);
        Assert.DoesNotContain("parameter 0", error.Message);
        Assert.Equal(["parameter 1 (float32 [3]): " + count + " of 3 elements"], error.Parameters);
        TensorAssert.Close([3, 4], good.Grad!, 0); // refused before scaling anything
    }

    [Fact]
    public void NamedParametersAreNamedInTheError()
    {
        var weight = WithGrad([float.NaN]);
        var error = Assert.Throws<NonFiniteGradientException>(() => GradientClipping.ClipGradNorm([("decoder.weight", weight)], 1.0));
        Assert.Contains("decoder.weight (float32 [1]): 1 NaN", error.Message);
    }

    [Fact]
    public void WithoutTheErrorNonFiniteNormsBehaveAsInPyTorch()
    {
        var nan = WithGrad([float.NaN, 1f]);
        Assert.True(double.IsNaN(GradientClipping.ClipGradNorm([nan], 1.0, errorIfNonfinite: false)));
        Assert.All(nan.Grad!.ToFloatArray(), v => Assert.True(float.IsNaN(v))); // torch: scaled by the NaN coefficient
        var infinite = WithGrad([float.PositiveInfinity, 2f]);
        Assert.True(double.IsPositiveInfinity(GradientClipping.ClipGradNorm([infinite], 1.0, errorIfNonfinite: false)));
        var after = infinite.Grad!.ToFloatArray();
        Assert.True(float.IsNaN(after[0])); // inf · 0
        Assert.Equal(0f, after[1]);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void MaxNormMustBePositiveAndFinite(double maxNorm)
    {
        var p = WithGrad([3f, 4f]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([p], maxNorm));
        Assert.Equal("maxNorm", error.ParamName);
        Assert.Contains("positive and finite", error.Message);
        TensorAssert.Close([3, 4], p.Grad!, 0);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void ClipGradValueRefusesANegativeOrNaNLimit(double limit)
    {
        var p = WithGrad([3f, -4f]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradValue([p], limit));
        Assert.Equal("limit", error.ParamName);
        TensorAssert.Close([3, -4], p.Grad!, 0);
    }
}
