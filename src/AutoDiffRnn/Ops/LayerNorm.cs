using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// layer_norm over the last axis (<c>torch.nn.functional.layer_norm(x, [D], weight, bias, eps)</c>): per row of D values,
/// x̂ = (x − mean) / √(var + ε) with the biased variance, then y = x̂ · weight + bias (each optional, [D]).
/// VJP, with r = 1/√(var + ε) and ĝ = g · weight: dx = r (ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)), dweight = Σ_rows g x̂, dbias = Σ_rows g.
/// The first-order backward uses x̂ and r saved by the forward; under <c>createGraph</c> it recomputes them from x with recorded ops,
/// so gradients of gradients flow.
/// </summary>
[Operation(Name)]
internal static class LayerNormOp
{
    public static Tensor Apply(Tensor x, Tensor? weight, Tensor? bias, double epsilon)
    {
        int features = CheckShapes(x, weight, bias, epsilon);
        int rows = features == 0 ? 0 : x.ElementCount / features;
        var output = Tensor.Empty(x.Shape, x.DType);
        var normalized = Tensor.Empty(x.Shape, x.DType);
        var rowShape = x.Shape.With(x.Rank - 1, 1);
        var reciprocal = Tensor.Empty(rowShape, x.DType);
        if (x.DType == DType.Float32) Forward<float>(x, weight, bias, (float)epsilon, output, normalized, reciprocal, rows, features);
        else Forward<double>(x, weight, bias, epsilon, output, normalized, reciprocal, rows, features);

        Tensor[] inputs = [x, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(Name, output, inputs, g =>
        {
            var (xHat, r) = GradMode.IsEnabled ? Recompute(x, epsilon) : (normalized, reciprocal);
            var gHat = weight is null ? g : g * weight;
            var dx = x.RequiresGrad
                ? r * (gHat - gHat.Mean(-1, keepDim: true) - xHat * (gHat * xHat).Mean(-1, keepDim: true))
                : null;
            var gradients = new List<Tensor?> { dx };
            if (weight is not null) gradients.Add(weight.RequiresGrad ? (g * xHat).SumTo(weight.Shape) : null);
            if (bias is not null) gradients.Add(bias.RequiresGrad ? g.SumTo(bias.Shape) : null);
            return gradients.ToArray();
        }, attributes: (epsilon, weight is not null, bias is not null));
    }

    /// <summary>x̂ and 1/√(var + ε) written with recorded ops (for gradients of gradients).</summary>
    private static (Tensor Normalized, Tensor Reciprocal) Recompute(Tensor x, double epsilon)
    {
        var centered = x - x.Mean(-1, keepDim: true);
        var reciprocal = 1.0 / ((centered * centered).Mean(-1, keepDim: true) + epsilon).Sqrt();
        return (centered * reciprocal, reciprocal);
    }

    private static int CheckShapes(Tensor x, Tensor? weight, Tensor? bias, double epsilon)
    {
        if (x.Rank < 1)
            throw new ArgumentException($"{Name}: the input must have at least one dimension (normalised over the last), got a scalar {x.Shape}");
        if (!(epsilon >= 0) || double.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), $"{Name}: epsilon must be finite and non-negative, got {epsilon}");
        int features = x.Shape[-1];
        foreach (var (parameter, role) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (parameter is null) continue;
            Elementwise.RequireSameDType(Name, x, parameter);
            if (parameter.Rank != 1 || parameter.Shape[0] != features)
                throw new ArgumentException($"{Name}: the {role} must be [{features}] to match input {x.Shape} (normalised over its last axis), got {parameter.Shape}");
        }
        return features;
    }

    private static void Forward<T>(Tensor x, Tensor? weight, Tensor? bias, T epsilon, Tensor output, Tensor normalized, Tensor reciprocal,
        int rows, int features) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> input = x.Span<T>();
        Span<T> destination = output.Span<T>(), xHat = normalized.Span<T>(), r = reciprocal.Span<T>();
        ReadOnlySpan<T> gain = weight is null ? default : weight.Span<T>(), shift = bias is null ? default : bias.Span<T>();
        T count = T.CreateChecked(features);
        for (int row = 0; row < rows; row++)
        {
            var values = input.Slice(row * features, features);
            var hat = xHat.Slice(row * features, features);
            T mean = TensorPrimitives.Sum(values) / count;
            TensorPrimitives.Subtract(values, mean, hat);
            T variance = TensorPrimitives.SumOfSquares(hat) / count;
            T reciprocalDeviation = T.One / T.Sqrt(variance + epsilon);
            r[row] = reciprocalDeviation;
            TensorPrimitives.Multiply(hat, reciprocalDeviation, hat);
            var y = destination.Slice(row * features, features);
            if (weight is null) hat.CopyTo(y);
            else TensorPrimitives.Multiply(hat, gain, y);
            if (bias is not null) TensorPrimitives.Add(y, shift, y);
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "layer_norm";
}

public sealed partial class Tensor
{
    /// <summary>
    /// Layer normalisation over the last axis, as <c>torch.nn.functional.layer_norm(x, [D], weight, bias, eps)</c>: each row is
    /// centred and divided by √(biased variance + <paramref name="epsilon"/>), then scaled by <paramref name="weight"/> and shifted by
    /// <paramref name="bias"/> ([D] each, optional).
    /// </summary>
    public static Tensor LayerNorm(Tensor input, Tensor? weight = null, Tensor? bias = null, double epsilon = 1e-5) =>
        LayerNormOp.Apply(input, weight, bias, epsilon);
}
