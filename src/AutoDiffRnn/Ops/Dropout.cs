using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// dropout (inverted, as PyTorch): in training, each element is zeroed with probability p and the survivors are scaled
/// by 1/(1-p), so the expected value is unchanged; in evaluation, or when p = 0, the input is returned as is; p = 1
/// gives zeros. The mask is drawn from a seeded <see cref="Generator"/>, one uniform draw per element in row-major
/// order, so the same seed gives the same mask. VJP: g · mask · 1/(1-p) (the same scaled mask).
/// </summary>
[Operation(Name)]
internal static class DropoutOp
{
    public static Tensor Apply(Tensor x, double probability, bool training, Generator? generator)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability),
                $"{Name}: the probability must be in [0, 1], got {probability} (tensor of shape {x.Shape})");
        if (!training || probability == 0) return x;
        generator ??= Generator.Default;
        var scaledMask = Tensor.Empty(x.Shape, x.DType);
        if (probability < 1)
        {
            double scale = 1 / (1 - probability);
            for (int i = 0; i < scaledMask.ElementCount; i++)
                if (generator.NextDouble() >= probability) scaledMask.SetFlat(i, scale);
        }
        var output = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Forward(x.Span<float>(), scaledMask.Span<float>(), output.Span<float>());
        else Forward(x.Span<double>(), scaledMask.Span<double>(), output.Span<double>());
        return Tape.Record(Name, output, [x], g => [g * scaledMask]);
    }

    private static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> scaledMask, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Multiply(x, scaledMask, destination);

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "dropout";
}

public sealed partial class Tensor
{
    /// <summary>
    /// Inverted dropout, as <c>torch.nn.functional.dropout</c>: when <paramref name="training"/>, zeroes each element
    /// with probability <paramref name="probability"/> (in [0, 1]) and scales the rest by 1/(1-p); otherwise, or when
    /// p = 0, returns this tensor unchanged. The mask comes from <paramref name="generator"/> (default:
    /// <see cref="Generator.Default"/>), so a seeded generator makes it reproducible.
    /// </summary>
    public Tensor Dropout(double probability, bool training, Generator? generator = null) =>
        DropoutOp.Apply(this, probability, training, generator);
}
