using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// General matrix multiply on contiguous row-major matrices: C = op(A) op(B), or C += op(A) op(B).
/// op(A) is m×k: A is stored m×k, or k×m when <c>transposeA</c>; op(B) is k×n: B is stored k×n, or n×k when <c>transposeB</c>.
/// </summary>
internal static class Gemm
{
    public static void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int n, int k, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!accumulate) c[..(m * n)].Clear();
        if (k == 0) return;
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            if (!transposeB)
            {
                for (int p = 0; p < k; p++)
                {
                    T scale = transposeA ? a[p * m + i] : a[i * k + p];
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), scale, row, row);
                }
            }
            else if (!transposeA)
            {
                var aRow = a.Slice(i * k, k);
                for (int j = 0; j < n; j++) row[j] += TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    T sum = T.Zero;
                    for (int p = 0; p < k; p++) sum += a[p * m + i] * b[j * k + p];
                    row[j] += sum;
                }
            }
        }
    }
}
