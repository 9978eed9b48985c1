using System.Numerics;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// linear: y = x Wᵀ + b for input x [*, in], weight W [out, in], optional bias b [out], giving [*, out]
/// (<c>torch.nn.functional.linear</c>). The leading dimensions are flattened into rows and one GEMM reads W transposed.
/// VJP, with G the output gradient flattened to [rows, out] and X the input as [rows, in]:
/// dX = G W, dW = Gᵀ X, db = G summed over rows; written with matmul, reshape and sum so double backward works.
/// </summary>
[Operation(Name)]
internal static class LinearOp
{
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias)
    {
        var (rows, outFeatures, inFeatures) = CheckShapes(input, weight, bias);
        var outputDimensions = input.Shape.ToArray();
        outputDimensions[^1] = outFeatures;
        var output = Tensor.Uninitialized(Shape.Wrap(outputDimensions), input.DType); // the bias rows or the GEMM write every element
        if (input.DType == DType.Float32) Forward<float>(input, weight, bias, output, rows, outFeatures, inFeatures);
        else Forward<double>(input, weight, bias, output, rows, outFeatures, inFeatures);

        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        Node? node = null;
        var recorded = Tape.Record(Name, output, inputs, g =>
        {
            var rowGradient = g.Reshape(rows, outFeatures);
            return
            [
                input.RequiresGrad ? Tensor.MatMul(rowGradient, weight).Reshape(input.Shape) : null,
                weight.RequiresGrad ? WeightGradient(node, rowGradient, input.Reshape(rows, inFeatures), weight) : null,
                bias is { RequiresGrad: true } ? rowGradient.Sum(0) : null,
            ];
        });
        node = recorded.GradFn;
        return recorded;
    }

    /// <summary>
    /// dW = Gᵀ X; in a first-order pass that already holds a sum for the weight (a weight used at every step of a recurrence), added into
    /// that sum by the GEMM itself (null returned), which saves writing dW and adding it in a second pass.
    /// </summary>
    private static Tensor? WeightGradient(Node? node, Tensor rowGradient, Tensor rowInput, Tensor weight)
    {
        if (Tape.PendingGradient(node, weight) is not { } sum)
            return Tensor.MatMul(rowGradient, rowInput, transposeA: true);
        int rows = rowGradient.Shape[0], outFeatures = rowGradient.Shape[1], inFeatures = rowInput.Shape[1];
        if (sum.DType == DType.Float32)
            Gemm.Multiply<float>(rowGradient.Span<float>(), true, rowInput.Span<float>(), false, sum.Span<float>(), outFeatures, inFeatures, rows, accumulate: true);
        else
            Gemm.Multiply<double>(rowGradient.Span<double>(), true, rowInput.Span<double>(), false, sum.Span<double>(), outFeatures, inFeatures, rows, accumulate: true);
        return null;
    }

    private static (int Rows, int OutFeatures, int InFeatures) CheckShapes(Tensor input, Tensor weight, Tensor? bias)
    {
        Elementwise.RequireSameDType(Name, input, weight);
        if (bias is not null) Elementwise.RequireSameDType(Name, input, bias);
        if (weight.Rank != 2)
            throw new ArgumentException($"{Name}: the weight must be 2-D [out, in], got {weight.Shape}");
        if (input.Rank < 1)
            throw new ArgumentException($"{Name}: the input must have at least one dimension [*, in], got a scalar {input.Shape}");
        int outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        if (input.Shape[-1] != inFeatures)
            throw new ArgumentException(
                $"{Name}: input {input.Shape} has {input.Shape[-1]} features in its last dimension but weight {weight.Shape} [out, in] expects {inFeatures}");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
            throw new ArgumentException($"{Name}: the bias must be [{outFeatures}] to match weight {weight.Shape} [out, in], got {bias.Shape}");
        return (input.Shape.Product(0, input.Rank - 1), outFeatures, inFeatures);
    }

    private static void Forward<T>(Tensor input, Tensor weight, Tensor? bias, Tensor output, int rows, int outFeatures, int inFeatures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var destination = output.Span<T>();
        if (bias is not null)
        {
            ReadOnlySpan<T> biasValues = bias.Span<T>();
            for (int row = 0; row < rows; row++) biasValues.CopyTo(destination.Slice(row * outFeatures, outFeatures));
        }
        Gemm.Multiply<T>(input.Span<T>(), false, weight.Span<T>(), true, destination, rows, outFeatures, inFeatures, accumulate: bias is not null);
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "linear";
}

public sealed partial class Tensor
{
    /// <summary>
    /// The affine map of <c>torch.nn.functional.linear</c>: <paramref name="input"/> [*, in] times the transpose of
    /// <paramref name="weight"/> [out, in], plus <paramref name="bias"/> [out] if given, giving [*, out].
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias) => LinearOp.Apply(input, weight, bias);
}
