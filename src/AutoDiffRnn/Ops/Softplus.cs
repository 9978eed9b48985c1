using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// softplus: (1/β) ln(1 + e^(βx)), and x itself where βx &gt; threshold (PyTorch's semantics).
/// Computed as (max(βx, 0) + ln(1 + e^(-|βx|))) / β, which neither overflows for large βx nor loses the tiny
/// positive values for very negative βx. VJP: g σ(βx), and g where βx &gt; threshold.
/// </summary>
[Operation(Name)]
internal static class SoftplusOp
{
    public static Tensor Apply(Tensor x, double beta, double threshold)
    {
        if (!double.IsFinite(beta) || beta == 0)
            throw new ArgumentOutOfRangeException(nameof(beta), $"{Name}: beta must be finite and nonzero, got {beta}");
        if (double.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), $"{Name}: the threshold must not be NaN");
        var output = Tensor.Uninitialized(x.Shape, x.DType); // the kernel writes every element
        if (x.DType == DType.Float32) Forward(x.Span<float>(), (float)beta, (float)threshold, output.Span<float>());
        else Forward(x.Span<double>(), beta, threshold, output.Span<double>());
        return Tape.Record(Name, output, [x], g =>
        {
            var scaled = x * beta;
            var slope = Tensor.Where(scaled.Greater(threshold), Tensor.Scalar(1.0, x.DType), scaled.Sigmoid());
            return [g * slope];
        });
    }

    /// <summary>Elements per block of the forward's scratch, on the stack: the kernel allocates nothing.</summary>
    private const int Block = 256;

    private static void Forward<T>(ReadOnlySpan<T> x, T beta, T threshold, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(x, beta, destination); // βx, overwritten block by block below
        Span<T> tail = stackalloc T[Block], logOfOnePlusTail = stackalloc T[Block];
        for (int start = 0; start < x.Length; start += Block)
        {
            int count = Math.Min(Block, x.Length - start);
            var scaled = destination.Slice(start, count);
            var blockTail = tail[..count];                        // e^(-|βx|), in (0, 1]
            var blockLog = logOfOnePlusTail[..count];
            TensorPrimitives.Abs(scaled, blockTail);
            TensorPrimitives.Negate(blockTail, blockTail);
            TensorPrimitives.Exp(blockTail, blockTail);
            TensorPrimitives.Add(blockTail, T.One, blockLog);
            TensorPrimitives.Log(blockLog, blockLog);
            for (int i = 0; i < count; i++)
            {
                T z = scaled[i];
                scaled[i] = z > threshold ? x[start + i] : (T.Max(z, T.Zero) + LogOnePlus(blockTail[i], blockLog[i])) / beta;
            }
        }
    }

    /// <summary>
    /// ln(1 + t) to full relative precision for small t, given ln(fl(1 + t)): the rounding of 1 + t is undone by
    /// scaling with t / (fl(1 + t) - 1) (Goldberg's method). Needed because ln(1 + t) computed directly (as
    /// TensorPrimitives.LogP1 and T.LogP1 do) is 0 for t below the epsilon, which would turn softplus of very
    /// negative inputs into 0 instead of eˣ.
    /// </summary>
    private static T LogOnePlus<T>(T t, T logOfRoundedOnePlusT) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T roundedT = (T.One + t) - T.One;
        return roundedT == T.Zero ? t : logOfRoundedOnePlusT * (t / roundedT);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "softplus";
}

public sealed partial class Tensor
{
    /// <summary>
    /// Element-wise softplus (1/<paramref name="beta"/>) ln(1 + e^(βx)), a smooth ReLU; where βx exceeds
    /// <paramref name="threshold"/> it returns x (as PyTorch). Numerically stable for any x.
    /// </summary>
    public Tensor Softplus(double beta = 1, double threshold = 20) => SoftplusOp.Apply(this, beta, threshold);
}
