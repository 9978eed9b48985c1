using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// C = or += A Bᵀ for few rows of A, with A (m×k) and B (n×k) both row-major: every C element is a dot product of two
/// contiguous rows, so neither operand is packed and B (typically a weight matrix, as in x Wᵀ of a recurrent step) is
/// streamed from memory exactly once per group of 4 rows of A. Tiles of 4 rows of A × 4 rows of B keep 16 Vector512
/// accumulators (8 loads feed 16 FMAs); a final partial vector of the depth is handled by re-reading the last full
/// vector with the already counted lanes masked off. Requires AVX-512 class hardware and k ≥ one vector.
/// </summary>
internal static unsafe class GemmDotProducts
{
    /// <summary>Whether the dot-product path can run a depth of <paramref name="k"/>.</summary>
    public static bool Supports<T>(int k) => Vector512.IsHardwareAccelerated && k >= Vector512<T>.Count;

    /// <summary>C (m×n, row stride ldc) = or += A (m×k, row stride lda) · Bᵀ (B is n×k, row stride ldb).</summary>
    public static void Multiply<T>(T* a, nint lda, T* b, nint ldb, T* c, nint ldc, int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector512<T>.Count;
        int tail = k % width;
        var tailMask = Vector512.GreaterThanOrEqual(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(width - tail)));
        T* sums = stackalloc T[16];
        for (int j = 0; j < n; j += 4)
        {
            int columns = Math.Min(4, n - j);
            // Missing rows of a partial tile repeat the last valid row; their results are discarded.
            T* b0 = b + j * ldb;
            T* b1 = b + Math.Min(j + 1, n - 1) * ldb;
            T* b2 = b + Math.Min(j + 2, n - 1) * ldb;
            T* b3 = b + Math.Min(j + 3, n - 1) * ldb;
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                T* a0 = a + i * lda;
                T* a1 = a + Math.Min(i + 1, m - 1) * lda;
                T* a2 = a + Math.Min(i + 2, m - 1) * lda;
                T* a3 = a + Math.Min(i + 3, m - 1) * lda;
                Tile(a0, a1, a2, a3, b0, b1, b2, b3, k, tail, tailMask, sums);
                for (int r = 0; r < rows; r++)
                {
                    T* row = c + (i + r) * ldc + j;
                    for (int col = 0; col < columns; col++)
                        row[col] = accumulate ? row[col] + sums[r * 4 + col] : sums[r * 4 + col];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T>(T* a0, T* a1, T* a2, T* a3, T* b0, T* b1, T* b2, T* b3, int k, int tail, Vector512<T> tailMask, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector512<T>.Count;
        Vector512<T> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default,
            s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        int end = k - tail;
        for (int p = 0; p < end; p += width)
        {
            var x0 = Vector512.Load(a0 + p);
            var x1 = Vector512.Load(a1 + p);
            var x2 = Vector512.Load(a2 + p);
            var x3 = Vector512.Load(a3 + p);
            var y = Vector512.Load(b0 + p);
            s00 = VectorMath.MultiplyAdd(x0, y, s00); s10 = VectorMath.MultiplyAdd(x1, y, s10);
            s20 = VectorMath.MultiplyAdd(x2, y, s20); s30 = VectorMath.MultiplyAdd(x3, y, s30);
            y = Vector512.Load(b1 + p);
            s01 = VectorMath.MultiplyAdd(x0, y, s01); s11 = VectorMath.MultiplyAdd(x1, y, s11);
            s21 = VectorMath.MultiplyAdd(x2, y, s21); s31 = VectorMath.MultiplyAdd(x3, y, s31);
            y = Vector512.Load(b2 + p);
            s02 = VectorMath.MultiplyAdd(x0, y, s02); s12 = VectorMath.MultiplyAdd(x1, y, s12);
            s22 = VectorMath.MultiplyAdd(x2, y, s22); s32 = VectorMath.MultiplyAdd(x3, y, s32);
            y = Vector512.Load(b3 + p);
            s03 = VectorMath.MultiplyAdd(x0, y, s03); s13 = VectorMath.MultiplyAdd(x1, y, s13);
            s23 = VectorMath.MultiplyAdd(x2, y, s23); s33 = VectorMath.MultiplyAdd(x3, y, s33);
        }
        if (tail != 0)
        {
            // The last full vector of the rows, with the lanes already counted zeroed in A.
            int p = k - width;
            var x0 = Vector512.Load(a0 + p) & tailMask;
            var x1 = Vector512.Load(a1 + p) & tailMask;
            var x2 = Vector512.Load(a2 + p) & tailMask;
            var x3 = Vector512.Load(a3 + p) & tailMask;
            var y = Vector512.Load(b0 + p);
            s00 = VectorMath.MultiplyAdd(x0, y, s00); s10 = VectorMath.MultiplyAdd(x1, y, s10);
            s20 = VectorMath.MultiplyAdd(x2, y, s20); s30 = VectorMath.MultiplyAdd(x3, y, s30);
            y = Vector512.Load(b1 + p);
            s01 = VectorMath.MultiplyAdd(x0, y, s01); s11 = VectorMath.MultiplyAdd(x1, y, s11);
            s21 = VectorMath.MultiplyAdd(x2, y, s21); s31 = VectorMath.MultiplyAdd(x3, y, s31);
            y = Vector512.Load(b2 + p);
            s02 = VectorMath.MultiplyAdd(x0, y, s02); s12 = VectorMath.MultiplyAdd(x1, y, s12);
            s22 = VectorMath.MultiplyAdd(x2, y, s22); s32 = VectorMath.MultiplyAdd(x3, y, s32);
            y = Vector512.Load(b3 + p);
            s03 = VectorMath.MultiplyAdd(x0, y, s03); s13 = VectorMath.MultiplyAdd(x1, y, s13);
            s23 = VectorMath.MultiplyAdd(x2, y, s23); s33 = VectorMath.MultiplyAdd(x3, y, s33);
        }
        sums[0] = Vector512.Sum(s00); sums[1] = Vector512.Sum(s01); sums[2] = Vector512.Sum(s02); sums[3] = Vector512.Sum(s03);
        sums[4] = Vector512.Sum(s10); sums[5] = Vector512.Sum(s11); sums[6] = Vector512.Sum(s12); sums[7] = Vector512.Sum(s13);
        sums[8] = Vector512.Sum(s20); sums[9] = Vector512.Sum(s21); sums[10] = Vector512.Sum(s22); sums[11] = Vector512.Sum(s23);
        sums[12] = Vector512.Sum(s30); sums[13] = Vector512.Sum(s31); sums[14] = Vector512.Sum(s32); sums[15] = Vector512.Sum(s33);
    }
}
