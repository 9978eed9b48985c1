using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// y = x M (or y += x M) for one row vector x (k) and a row-major matrix M (k×n): the per-step recurrent product of the fused
/// recurrent kernels at batch 1 (and other small batches, one row at a time). For such a product the general GEMM's packing,
/// buffers and dispatch cost more than the arithmetic; here each block of 8 vectors of columns is accumulated in registers over
/// the whole depth (x[p] broadcast, row p of the block loaded contiguously, 8 independent multiply-adds in flight), with no
/// packing and no allocation.
/// </summary>
internal static class RowVectorProduct
{
    /// <summary>Batches of at most this many rows take <see cref="Multiply{T}"/> row by row instead of the packed GEMM (measured on AVX2:
    /// faster for 1 and 2 rows, slower from 3 or 4, as each row reads the whole matrix again).</summary>
    internal const int MaxRows = 2;

    /// <summary>y (n) = or += x (k) · M (k×n, row-major, <paramref name="matrix"/> of k·n elements).</summary>
    public static void Multiply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> matrix, Span<T> y, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = x.Length, n = y.Length;
        if (matrix.Length != (long)k * n)
            throw new ArgumentException($"row-vector product: the matrix has {matrix.Length} elements, expected {k}×{n}");
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T m = ref MemoryMarshal.GetReference(matrix);
        ref T ys = ref MemoryMarshal.GetReference(y);
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; j + 8 * w <= n; j += 8 * w)
            {
                Vector<T> s0 = Vector<T>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
                ref T column = ref Unsafe.Add(ref m, j);
                for (int p = 0; p < k; p++)
                {
                    var xp = new Vector<T>(Unsafe.Add(ref xs, p));
                    ref T row = ref Unsafe.Add(ref column, (nint)p * n);
                    s0 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row), s0);
                    s1 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)w), s1);
                    s2 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)(2 * w)), s2);
                    s3 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)(3 * w)), s3);
                    s4 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)(4 * w)), s4);
                    s5 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)(5 * w)), s5);
                    s6 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)(6 * w)), s6);
                    s7 = Activations.MultiplyAdd(xp, Vector.LoadUnsafe(ref row, (nuint)(7 * w)), s7);
                }
                ref T target = ref Unsafe.Add(ref ys, j);
                Store(s0, ref target, 0, accumulate);
                Store(s1, ref target, w, accumulate);
                Store(s2, ref target, 2 * w, accumulate);
                Store(s3, ref target, 3 * w, accumulate);
                Store(s4, ref target, 4 * w, accumulate);
                Store(s5, ref target, 5 * w, accumulate);
                Store(s6, ref target, 6 * w, accumulate);
                Store(s7, ref target, 7 * w, accumulate);
            }
            for (; j + w <= n; j += w)
            {
                // two accumulators over even and odd rows hide some of the multiply-add latency
                Vector<T> even = Vector<T>.Zero, odd = Vector<T>.Zero;
                ref T column = ref Unsafe.Add(ref m, j);
                int p = 0;
                for (; p + 2 <= k; p += 2)
                {
                    even = Activations.MultiplyAdd(new Vector<T>(Unsafe.Add(ref xs, p)), Vector.LoadUnsafe(ref Unsafe.Add(ref column, (nint)p * n)), even);
                    odd = Activations.MultiplyAdd(new Vector<T>(Unsafe.Add(ref xs, p + 1)), Vector.LoadUnsafe(ref Unsafe.Add(ref column, (nint)(p + 1) * n)), odd);
                }
                if (p < k) even = Activations.MultiplyAdd(new Vector<T>(Unsafe.Add(ref xs, p)), Vector.LoadUnsafe(ref Unsafe.Add(ref column, (nint)p * n)), even);
                Store(even + odd, ref Unsafe.Add(ref ys, j), 0, accumulate);
            }
        }
        for (; j < n; j++)
        {
            T sum = T.Zero;
            for (int p = 0; p < k; p++) sum += Unsafe.Add(ref xs, p) * Unsafe.Add(ref m, (nint)p * n + j);
            ref T target = ref Unsafe.Add(ref ys, j);
            target = accumulate ? target + sum : sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> sum, ref T target, int offset, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) sum += Vector.LoadUnsafe(ref target, (nuint)offset);
        sum.StoreUnsafe(ref target, (nuint)offset);
    }

    /// <summary>The transpose (n×k) of a row-major k×n matrix, into <paramref name="destination"/>.</summary>
    public static void Transpose<T>(ReadOnlySpan<T> matrix, int k, int n, Span<T> destination) where T : unmanaged
    {
        if (matrix.Length != (long)k * n || destination.Length != (long)k * n)
            throw new ArgumentException($"transpose: expected {k}×{n} elements");
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                destination[j * k + p] = matrix[p * n + j];
    }
}

/// <summary>
/// The recurrent product of a fused recurrent op, op(B) (k×n) fixed for all steps and multiplied at each step by the states of a
/// block of rows: with at most <see cref="RowVectorProduct.MaxRows"/> rows, op(B) is laid out row-major once and each row is a
/// <see cref="RowVectorProduct.Multiply{T}"/>; otherwise it is packed once for the GEMM (<see cref="Gemm.Pack{T}"/>).
/// </summary>
internal sealed class RecurrentProduct<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PackedMatrix<T>? packed;
    private T[]? rowMajor; // op(B), k×n row-major, pooled
    private readonly int k, n;

    /// <summary>Prepares op(B): B stored k×n, or n×k when <paramref name="transposeB"/>, for products of up to <paramref name="rows"/> rows.</summary>
    public RecurrentProduct(ReadOnlySpan<T> b, bool transposeB, int k, int n, int rows)
    {
        this.k = k;
        this.n = n;
        if (rows > RowVectorProduct.MaxRows)
        {
            packed = Gemm.Pack(b, transposeB, k, n, rows);
            return;
        }
        rowMajor = System.Buffers.ArrayPool<T>.Shared.Rent(k * n);
        if (transposeB) RowVectorProduct.Transpose(b[..(k * n)], n, k, rowMajor.AsSpan(0, k * n));
        else b[..(k * n)].CopyTo(rowMajor);
    }

    /// <summary>C (m×n) = or += A (m×k) op(B); with <paramref name="parallel"/> the GEMM may split over the cores.</summary>
    public void Multiply(ReadOnlySpan<T> a, Span<T> c, int m, bool accumulate, bool parallel)
    {
        if (packed is not null)
        {
            Gemm.Multiply(a, false, packed, c, m, accumulate, parallel);
            return;
        }
        var matrix = (rowMajor ?? throw new ObjectDisposedException(nameof(RecurrentProduct<T>))).AsSpan(0, k * n);
        for (int row = 0; row < m; row++)
            RowVectorProduct.Multiply(a.Slice(row * k, k), matrix, c.Slice(row * n, n), accumulate);
    }

    /// <summary>Frees the packed matrix or returns the row-major copy to the pool.</summary>
    public void Dispose()
    {
        packed?.Dispose();
        var array = rowMajor;
        rowMajor = null;
        if (array is not null) System.Buffers.ArrayPool<T>.Shared.Return(array);
    }
}
