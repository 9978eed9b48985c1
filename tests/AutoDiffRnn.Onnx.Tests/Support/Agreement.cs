namespace AutoDiffRnn.Onnx.Tests.Support;

/// <summary>Comparisons of an exported graph's outputs with AutoDiffRnn's forward.</summary>
public static class Agreement
{
    /// <summary>
    /// The largest element difference relative to the reference's largest magnitude (at least 1e-30): max|a − e| / max|e|.
    /// The shapes must match.
    /// </summary>
    public static double RelativeError(Tensor expected, double[] actual, int[] actualShape, string what)
    {
        if (!expected.Shape.ToArray().SequenceEqual(actualShape))
            throw new Xunit.Sdk.XunitException($"{what}: shape [{string.Join(",", actualShape)}], expected {expected.Shape}");
        var e = expected.ToDoubleArray();
        double worst = 0, scale = 1e-30;
        for (int i = 0; i < e.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - e[i]));
            scale = Math.Max(scale, Math.Abs(e[i]));
        }
        return worst / scale;
    }

    /// <summary>Asserts <see cref="RelativeError"/> ≤ <paramref name="tolerance"/>.</summary>
    public static void Close(Tensor expected, double[] actual, int[] actualShape, double tolerance, string what)
    {
        double error = RelativeError(expected, actual, actualShape, what);
        if (!(error <= tolerance))
            throw new Xunit.Sdk.XunitException($"{what}: relative error {error:E2} exceeds {tolerance:E0}");
    }

    /// <summary>Asserts an ONNX Runtime output equals the expected tensor within <paramref name="tolerance"/>.</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string what) =>
        Close(expected, actual.ToDoubleArray(), actual.Shape.ToArray(), tolerance, what);

    /// <summary>Asserts a reference-evaluator output equals the expected tensor within <paramref name="tolerance"/>.</summary>
    public static void Close(Tensor expected, RefValue actual, double tolerance, string what) =>
        Close(expected, actual.Data, actual.Shape, tolerance, what);
}
