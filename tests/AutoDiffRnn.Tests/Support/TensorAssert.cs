namespace AutoDiffRnn.Tests.Support;

/// <summary>Element-wise comparisons of tensors.</summary>
public static class TensorAssert
{
    /// <summary>
    /// Asserts as many values as expected, each within <paramref name="tolerance"/> of the expected one: absolutely where
    /// |expected| ≤ 1, relatively above (|expected − actual| ≤ tolerance · max(1, |expected|)).
    /// </summary>
    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-12)
    {
        var values = actual.ToDoubleArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:G10}, got {values[i]:G10}");
    }

    /// <summary>
    /// Asserts equal shapes and every value within <paramref name="tolerance"/> of the expected one: absolutely where |expected| ≤ 1,
    /// relatively above (see <see cref="Close(double[], Tensor, double)"/>).
    /// </summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToDoubleArray(), actual, tolerance);
    }
}
