namespace AutoDiffRnn.Tests.Ops;

/// <summary>The float32-against-float64 check shared by the element-wise op tests.</summary>
public static class ElementwiseTestData
{
    /// <summary>
    /// Asserts that in float32 both the result of <paramref name="function"/> and its gradient (of the result weighted
    /// by fixed random values) are float32 and match the float64 ones to float precision.
    /// </summary>
    public static void Float32MatchesFloat64(Func<Tensor, Tensor> function, Tensor input64, double tolerance = 1e-6)
    {
        var (result64, gradient64) = ValueAndGradient(function, input64);
        var (result32, gradient32) = ValueAndGradient(function, input64.To(DType.Float32));
        Assert.Equal(DType.Float32, result32.DType);
        Assert.Equal(DType.Float32, gradient32.DType);
        Assert.Equal(result64.Shape, result32.Shape);
        Support.TensorAssert.Close(result64.ToDoubleArray(), result32, tolerance);
        Support.TensorAssert.Close(gradient64.ToDoubleArray(), gradient32, tolerance);
    }

    private static (Tensor Result, Tensor Gradient) ValueAndGradient(Func<Tensor, Tensor> function, Tensor input)
    {
        var leaf = input.Detach().Clone().SetRequiresGrad();
        var result = function(leaf);
        var weights = Tensor.Normal(result.Shape, dtype: input.DType, generator: new Generator(99));
        if (result.RequiresGrad) (result * weights).Sum().Backward();
        return (result, leaf.Grad ?? Tensor.ZerosLike(input));
    }
}
