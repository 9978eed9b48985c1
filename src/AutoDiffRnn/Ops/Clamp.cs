using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// clamp: min(max(x, lower), upper), either bound optional (when lower &gt; upper every element becomes upper, as PyTorch).
/// NaN stays NaN. VJP: g where lower ≤ x ≤ upper, else 0 (the gradient passes at the bounds themselves, as PyTorch).
/// </summary>
[Operation(Name)]
internal static class ClampOp
{
    public static Tensor Apply(Tensor x, double? min, double? max)
    {
        if (min is null && max is null)
            throw new ArgumentException($"{Name}: at least one of min and max must be given (tensor of shape {x.Shape})");
        var output = Tensor.Uninitialized(x.Shape, x.DType); // written whole by the first max or min
        if (x.DType == DType.Float32) Forward(x.Span<float>(), (float?)min, (float?)max, output.Span<float>());
        else Forward(x.Span<double>(), min, max, output.Span<double>());
        return Tape.Record(Name, output, [x], g =>
        {
            var inside = min is double lower ? x.GreaterOrEqual(lower) : null;
            if (max is double upper) inside = inside is null ? x.LessOrEqual(upper) : inside * x.LessOrEqual(upper);
            return [g * inside!];
        }, attributes: (min, max));
    }

    private static void Forward<T>(ReadOnlySpan<T> x, T? min, T? max, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (min is T lower)
        {
            TensorPrimitives.Max(x, lower, destination);
            if (max is T upper) TensorPrimitives.Min(destination, upper, destination);
        }
        else TensorPrimitives.Min(x, max!.Value, destination);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "clamp";
}

public sealed partial class Tensor
{
    /// <summary>
    /// Every element limited to [<paramref name="min"/>, <paramref name="max"/>]; a null bound is not applied
    /// (at least one must be given). The gradient passes where min ≤ x ≤ max.
    /// </summary>
    public Tensor Clamp(double? min, double? max) => ClampOp.Apply(this, min, max);
}
