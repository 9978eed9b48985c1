using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn;

/// <summary>Whether a tensor holds NaN or infinite values: one vectorized pass, no allocation.</summary>
internal static class Finiteness
{
    /// <summary>True when every element is finite (the largest magnitude is finite; NaN propagates through it).</summary>
    public static bool AllFinite(Tensor tensor) =>
        tensor.ElementCount == 0 || (tensor.DType == DType.Float32
            ? float.IsFinite(TensorPrimitives.MaxMagnitude<float>(tensor.Span<float>()))
            : double.IsFinite(TensorPrimitives.MaxMagnitude<double>(tensor.Span<double>())));

    /// <summary>How many elements are NaN and how many infinite (for messages: only called once something is known to be wrong).</summary>
    public static (int NaN, int Infinite) Count(Tensor tensor) =>
        tensor.DType == DType.Float32 ? Count<float>(tensor.Span<float>()) : Count<double>(tensor.Span<double>());

    /// <summary>"2 NaN, 1 infinite of 12 elements" for a message.</summary>
    public static string Describe(Tensor tensor)
    {
        var (nan, infinite) = Count(tensor);
        var parts = new List<string>();
        if (nan > 0) parts.Add($"{nan} NaN");
        if (infinite > 0) parts.Add($"{infinite} infinite");
        return $"{string.Join(", ", parts)} of {tensor.ElementCount} elements";
    }

    private static (int NaN, int Infinite) Count<T>(ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T>
    {
        int nan = 0, infinite = 0;
        foreach (var value in values)
        {
            if (T.IsNaN(value)) nan++;
            else if (T.IsInfinity(value)) infinite++;
        }
        return (nan, infinite);
    }
}
