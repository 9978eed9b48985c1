namespace AutoDiffRnn.Tests.Ops;

/// <summary>Shapes shared by the element-wise op tests.</summary>
public static class ElementwiseTestData
{
    /// <summary>Shapes for unary ops: a scalar, a vector, a matrix, a 3-D tensor.</summary>
    public static TheoryData<int[]> UnaryShapes => new() { Array.Empty<int>(), new[] { 5 }, new[] { 3, 4 }, new[] { 2, 3, 4 } };

    /// <summary>Pairs of shapes for binary ops, from equal shapes to broadcasting on both sides and with scalars.</summary>
    public static TheoryData<int[], int[]> BroadcastPairs => new()
    {
        { new[] { 3, 4 }, new[] { 3, 4 } },
        { new[] { 3, 4 }, new[] { 4 } },
        { new[] { 3, 1 }, new[] { 1, 4 } },
        { new[] { 2, 3, 4 }, new[] { 3, 1 } },
        { new[] { 2, 1, 4 }, new[] { 2, 3, 1 } },
        { new[] { 5 }, Array.Empty<int>() },
        { Array.Empty<int>(), new[] { 2, 2 } },
    };

    /// <summary>Asserts that the float32 result of <paramref name="function"/> matches its float64 result to float precision.</summary>
    public static void Float32MatchesFloat64(Func<Tensor, Tensor> function, Tensor input64, double tolerance = 1e-6)
    {
        var result32 = function(input64.To(DType.Float32));
        var result64 = function(input64);
        Assert.Equal(DType.Float32, result32.DType);
        Assert.Equal(result64.Shape, result32.Shape);
        Support.TensorAssert.Close(result64.ToDoubleArray(), result32, tolerance);
    }
}
