using System.Numerics;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// matmul: op(A) op(B) for 2-D matrices or 3-D batches of them, where op transposes when asked (no copy is made:
/// the GEMM reads the operand transposed). A 2-D operand is shared by every batch entry of a 3-D one.
/// Shapes: op(A) [.., m, k] times op(B) [.., k, n] gives [.., m, n].
/// VJP (G = output gradient), for C = A B: dA = G Bᵀ, dB = Aᵀ G; the transposed cases swap roles the same way,
/// each again a matmul with transposed operands; a shared 2-D operand's gradient is summed over the batch.
/// </summary>
[Operation(Name)]
internal static class MatMulOp
{
    public static Tensor Apply(Tensor a, Tensor b, bool transposeA, bool transposeB)
    {
        Elementwise.RequireSameDType(Name, a, b);
        if (a.Rank is < 2 or > 3 || b.Rank is < 2 or > 3)
            throw new ArgumentException($"{Name}: operands must be 2-D or 3-D, got {a.Shape} and {b.Shape}");
        int batchA = a.Rank == 3 ? a.Shape[0] : 1, batchB = b.Rank == 3 ? b.Shape[0] : 1;
        if (a.Rank == 3 && b.Rank == 3 && batchA != batchB)
            throw new ArgumentException($"{Name}: batch sizes differ: {a.Shape} and {b.Shape}");
        int m = transposeA ? a.Shape[-1] : a.Shape[-2], k = transposeA ? a.Shape[-2] : a.Shape[-1];
        int kB = transposeB ? b.Shape[-1] : b.Shape[-2], n = transposeB ? b.Shape[-2] : b.Shape[-1];
        if (k != kB)
            throw new ArgumentException(
                $"{Name}: cannot multiply {Describe(a.Shape, transposeA)} by {Describe(b.Shape, transposeB)}: inner dimensions {k} and {kB} differ");

        int batch = a.Rank == 3 ? batchA : batchB; // the 3-D operand's batch (equal when both are 3-D), which may be 0
        var output = Tensor.Uninitialized(a.Rank == 3 || b.Rank == 3 ? Shape.Wrap([batch, m, n]) : Shape.Wrap([m, n]), a.DType); // the GEMMs overwrite it
        if (a.DType == DType.Float32) Compute<float>(a, b, output, transposeA, transposeB, batchA, batchB, m, n, k);
        else Compute<double>(a, b, output, transposeA, transposeB, batchA, batchB, m, n, k);

        return Tape.Record(Name, output, [a, b], g =>
        [
            !a.RequiresGrad ? null
                : (transposeA ? Apply(b, g, transposeB, true) : Apply(g, b, false, !transposeB)).SumTo(a.Shape),
            !b.RequiresGrad ? null
                : (transposeB ? Apply(g, a, true, transposeA) : Apply(a, g, !transposeA, false)).SumTo(b.Shape),
        ], attributes: (transposeA, transposeB));
    }

    private static void Compute<T>(Tensor a, Tensor b, Tensor output, bool transposeA, bool transposeB,
        int batchA, int batchB, int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> spanA = a.Span<T>(), spanB = b.Span<T>();
        var spanC = output.Span<T>();
        if (batchB == 1 && batchA > 1 && !transposeA)
        {
            // [batch, m, k] times a shared [k, n]: one GEMM with batch*m rows.
            Gemm.Multiply(spanA, false, spanB, transposeB, spanC, batchA * m, n, k, accumulate: false);
            return;
        }
        int batch = a.Rank == 3 ? batchA : batchB; // the 3-D operand's batch (equal when both are 3-D), which may be 0
        for (int i = 0; i < batch; i++)
            Gemm.Multiply(
                spanA.Slice(batchA == 1 ? 0 : i * m * k, m * k), transposeA,
                spanB.Slice(batchB == 1 ? 0 : i * k * n, k * n), transposeB,
                spanC.Slice(i * m * n, m * n), m, n, k, accumulate: false);
    }

    private static string Describe(Shape shape, bool transposed) => transposed ? $"{shape}ᵀ" : shape.ToString();

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string Name = "matmul";
}

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product of 2-D matrices or 3-D batches of matrices, optionally reading either operand transposed
    /// (its last two dimensions swapped) without copying it.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false) =>
        MatMulOp.Apply(a, b, transposeA, transposeB);

    /// <summary>Matrix product <c>this · other</c> (2-D or batched 3-D).</summary>
    public Tensor MatMul(Tensor other) => MatMulOp.Apply(this, other, false, false);
}
