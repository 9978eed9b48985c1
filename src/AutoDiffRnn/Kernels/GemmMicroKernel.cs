using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: multiplies a packed <see cref="Rows"/>×kc panel of op(A) by a packed
/// kc×<see cref="Columns"/> panel of op(B) and writes (or adds) the <see cref="Rows"/>×<see cref="Columns"/> tile into C.
/// Packed A panel: element (row r, depth p) at <c>a[p * Rows + r]</c>. B panel: element (p, column j) at <c>b[p * bStride + j]</c>,
/// where <c>bStride</c> is <see cref="Columns"/> for a packed panel or the row stride of B when B is read in place.
/// </summary>
internal unsafe interface IGemmMicroKernel<T> where T : unmanaged
{
    /// <summary>Rows of the C tile (MR).</summary>
    static abstract int Rows { get; }

    /// <summary>Columns of the C tile (NR).</summary>
    static abstract int Columns { get; }

    /// <summary>C tile (row stride <paramref name="rowStride"/>) = or += A panel × B panel over depth <paramref name="depth"/>.</summary>
    static abstract void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite);
}

/// <summary>Fused multiply-add on vectors of float or double (FMA where the hardware has it).</summary>
internal static class VectorMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd<T>(Vector512<T> x, Vector512<T> y, Vector512<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector512.MultiplyAddEstimate(x.AsSingle(), y.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.MultiplyAddEstimate(x.AsDouble(), y.AsDouble(), addend.AsDouble()).As<double, T>();
        return x * y + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd<T>(Vector256<T> x, Vector256<T> y, Vector256<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector256.MultiplyAddEstimate(x.AsSingle(), y.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.MultiplyAddEstimate(x.AsDouble(), y.AsDouble(), addend.AsDouble()).As<double, T>();
        return x * y + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd<T>(Vector128<T> x, Vector128<T> y, Vector128<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector128.MultiplyAddEstimate(x.AsSingle(), y.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector128.MultiplyAddEstimate(x.AsDouble(), y.AsDouble(), addend.AsDouble()).As<double, T>();
        return x * y + addend;
    }
}

/// <summary>
/// AVX-512 micro-kernel: a 12 × (2·W) tile (W = lanes of Vector512&lt;T&gt;: 12×32 floats or 12×16 doubles)
/// held in 24 accumulator registers; per depth step two B vectors are loaded and each of the 12 A values is broadcast
/// and multiplied into both (24 FMAs against 14 loads).
/// </summary>
internal readonly unsafe struct GemmKernel512<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 12;
    public static int Columns => 2 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        int width = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + width);
            Vector512<T> x;
            x = Vector512.Create(a[0]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = VectorMath.MultiplyAdd(x, b0, c40); c41 = VectorMath.MultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = VectorMath.MultiplyAdd(x, b0, c50); c51 = VectorMath.MultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = VectorMath.MultiplyAdd(x, b0, c60); c61 = VectorMath.MultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = VectorMath.MultiplyAdd(x, b0, c70); c71 = VectorMath.MultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]); c80 = VectorMath.MultiplyAdd(x, b0, c80); c81 = VectorMath.MultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = VectorMath.MultiplyAdd(x, b0, c90); c91 = VectorMath.MultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]); cA0 = VectorMath.MultiplyAdd(x, b0, cA0); cA1 = VectorMath.MultiplyAdd(x, b1, cA1);
            x = Vector512.Create(a[11]); cB0 = VectorMath.MultiplyAdd(x, b0, cB0); cB1 = VectorMath.MultiplyAdd(x, b1, cB1);
            a += 12;
            b += bStride;
        }
        StoreRow(c, c00, c01, overwrite); c += rowStride;
        StoreRow(c, c10, c11, overwrite); c += rowStride;
        StoreRow(c, c20, c21, overwrite); c += rowStride;
        StoreRow(c, c30, c31, overwrite); c += rowStride;
        StoreRow(c, c40, c41, overwrite); c += rowStride;
        StoreRow(c, c50, c51, overwrite); c += rowStride;
        StoreRow(c, c60, c61, overwrite); c += rowStride;
        StoreRow(c, c70, c71, overwrite); c += rowStride;
        StoreRow(c, c80, c81, overwrite); c += rowStride;
        StoreRow(c, c90, c91, overwrite); c += rowStride;
        StoreRow(c, cA0, cA1, overwrite); c += rowStride;
        StoreRow(c, cB0, cB1, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, Vector512<T> left, Vector512<T> right, bool overwrite)
    {
        T* rowRight = row + Vector512<T>.Count;
        if (!overwrite)
        {
            left += Vector512.Load(row);
            right += Vector512.Load(rowRight);
        }
        left.Store(row);
        right.Store(rowRight);
    }
}

/// <summary>
/// AVX-512 micro-kernel for products of 5 to 8 rows (and row counts that 8 divides better than 12): an 8 × (3·W) tile
/// (8×48 floats, 8×24 doubles) in 24 accumulators; per depth step 3 B loads and 8 broadcasts feed 24 FMAs.
/// </summary>
internal readonly unsafe struct GemmKernel512Rows8<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 8;
    public static int Columns => 3 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        int width = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default,
            c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default,
            c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default,
            c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + width);
            var b2 = Vector512.Load(b + 2 * width);
            Vector512<T> x;
            x = Vector512.Create(a[0]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01); c02 = VectorMath.MultiplyAdd(x, b2, c02);
            x = Vector512.Create(a[1]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11); c12 = VectorMath.MultiplyAdd(x, b2, c12);
            x = Vector512.Create(a[2]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21); c22 = VectorMath.MultiplyAdd(x, b2, c22);
            x = Vector512.Create(a[3]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31); c32 = VectorMath.MultiplyAdd(x, b2, c32);
            x = Vector512.Create(a[4]); c40 = VectorMath.MultiplyAdd(x, b0, c40); c41 = VectorMath.MultiplyAdd(x, b1, c41); c42 = VectorMath.MultiplyAdd(x, b2, c42);
            x = Vector512.Create(a[5]); c50 = VectorMath.MultiplyAdd(x, b0, c50); c51 = VectorMath.MultiplyAdd(x, b1, c51); c52 = VectorMath.MultiplyAdd(x, b2, c52);
            x = Vector512.Create(a[6]); c60 = VectorMath.MultiplyAdd(x, b0, c60); c61 = VectorMath.MultiplyAdd(x, b1, c61); c62 = VectorMath.MultiplyAdd(x, b2, c62);
            x = Vector512.Create(a[7]); c70 = VectorMath.MultiplyAdd(x, b0, c70); c71 = VectorMath.MultiplyAdd(x, b1, c71); c72 = VectorMath.MultiplyAdd(x, b2, c72);
            a += 8;
            b += bStride;
        }
        StoreRow(c, c00, c01, c02, overwrite); c += rowStride;
        StoreRow(c, c10, c11, c12, overwrite); c += rowStride;
        StoreRow(c, c20, c21, c22, overwrite); c += rowStride;
        StoreRow(c, c30, c31, c32, overwrite); c += rowStride;
        StoreRow(c, c40, c41, c42, overwrite); c += rowStride;
        StoreRow(c, c50, c51, c52, overwrite); c += rowStride;
        StoreRow(c, c60, c61, c62, overwrite); c += rowStride;
        StoreRow(c, c70, c71, c72, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, bool overwrite)
    {
        int width = Vector512<T>.Count;
        if (!overwrite)
        {
            v0 += Vector512.Load(row);
            v1 += Vector512.Load(row + width);
            v2 += Vector512.Load(row + 2 * width);
        }
        v0.Store(row);
        v1.Store(row + width);
        v2.Store(row + 2 * width);
    }
}

/// <summary>
/// AVX-512 micro-kernel for products of at most 4 rows: a 4 × (4·W) tile (4×64 floats, 4×32 doubles) in 16 accumulators;
/// per depth step 4 B loads and 4 broadcasts feed 16 FMAs.
/// </summary>
internal readonly unsafe struct GemmKernel512Rows4<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 4;
    public static int Columns => 4 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        int width = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default,
            c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + width);
            var b2 = Vector512.Load(b + 2 * width);
            var b3 = Vector512.Load(b + 3 * width);
            Vector512<T> x;
            x = Vector512.Create(a[0]);
            c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01); c02 = VectorMath.MultiplyAdd(x, b2, c02); c03 = VectorMath.MultiplyAdd(x, b3, c03);
            x = Vector512.Create(a[1]);
            c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11); c12 = VectorMath.MultiplyAdd(x, b2, c12); c13 = VectorMath.MultiplyAdd(x, b3, c13);
            x = Vector512.Create(a[2]);
            c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21); c22 = VectorMath.MultiplyAdd(x, b2, c22); c23 = VectorMath.MultiplyAdd(x, b3, c23);
            x = Vector512.Create(a[3]);
            c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31); c32 = VectorMath.MultiplyAdd(x, b2, c32); c33 = VectorMath.MultiplyAdd(x, b3, c33);
            a += 4;
            b += bStride;
        }
        StoreRow(c, c00, c01, c02, c03, overwrite); c += rowStride;
        StoreRow(c, c10, c11, c12, c13, overwrite); c += rowStride;
        StoreRow(c, c20, c21, c22, c23, overwrite); c += rowStride;
        StoreRow(c, c30, c31, c32, c33, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> v3, bool overwrite)
    {
        int width = Vector512<T>.Count;
        if (!overwrite)
        {
            v0 += Vector512.Load(row);
            v1 += Vector512.Load(row + width);
            v2 += Vector512.Load(row + 2 * width);
            v3 += Vector512.Load(row + 3 * width);
        }
        v0.Store(row);
        v1.Store(row + width);
        v2.Store(row + 2 * width);
        v3.Store(row + 3 * width);
    }
}

/// <summary>
/// AVX2-class micro-kernel: a 6 × (2·W) tile of Vector256&lt;T&gt; (6×16 floats or 6×8 doubles) in 12 accumulators,
/// which with the two B vectors and one broadcast fits the 16 vector registers of x64 without AVX-512.
/// </summary>
internal readonly unsafe struct GemmKernel256<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 6;
    public static int Columns => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        int width = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        // Two depth steps per iteration: half the loop overhead, measured 5-10% faster in L1 on Zen 3.
        for (; p + 2 <= depth; p += 2)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + width);
            Vector256<T> x;
            x = Vector256.Create(a[0]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = VectorMath.MultiplyAdd(x, b0, c40); c41 = VectorMath.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = VectorMath.MultiplyAdd(x, b0, c50); c51 = VectorMath.MultiplyAdd(x, b1, c51);
            b0 = Vector256.Load(b + bStride);
            b1 = Vector256.Load(b + bStride + width);
            x = Vector256.Create(a[6]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[7]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[8]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[9]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[10]); c40 = VectorMath.MultiplyAdd(x, b0, c40); c41 = VectorMath.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[11]); c50 = VectorMath.MultiplyAdd(x, b0, c50); c51 = VectorMath.MultiplyAdd(x, b1, c51);
            a += 12;
            b += 2 * bStride;
        }
        if (p < depth)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + width);
            Vector256<T> x;
            x = Vector256.Create(a[0]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = VectorMath.MultiplyAdd(x, b0, c40); c41 = VectorMath.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = VectorMath.MultiplyAdd(x, b0, c50); c51 = VectorMath.MultiplyAdd(x, b1, c51);
        }
        StoreRow(c, c00, c01, overwrite); c += rowStride;
        StoreRow(c, c10, c11, overwrite); c += rowStride;
        StoreRow(c, c20, c21, overwrite); c += rowStride;
        StoreRow(c, c30, c31, overwrite); c += rowStride;
        StoreRow(c, c40, c41, overwrite); c += rowStride;
        StoreRow(c, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, Vector256<T> left, Vector256<T> right, bool overwrite)
    {
        T* rowRight = row + Vector256<T>.Count;
        if (!overwrite)
        {
            left += Vector256.Load(row);
            right += Vector256.Load(rowRight);
        }
        left.Store(row);
        right.Store(rowRight);
    }
}

/// <summary>
/// AVX2-class micro-kernel for products of few rows (a recurrent step's batch of 4 to 64 sequences, where the 6-row tile wastes up to a
/// third of its work on padding): a 4 × (3·W) tile of Vector256&lt;T&gt; (4×24 floats or 4×12 doubles) in 12 accumulators, with the
/// three B vectors and one broadcast filling the 16 vector registers; per depth step 3 B loads and 4 broadcasts feed 12 FMAs.
/// </summary>
internal readonly unsafe struct GemmKernel256Rows4<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 4;
    public static int Columns => 3 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        int width = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default,
            c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + width);
            var b2 = Vector256.Load(b + 2 * width);
            Vector256<T> x;
            x = Vector256.Create(a[0]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01); c02 = VectorMath.MultiplyAdd(x, b2, c02);
            x = Vector256.Create(a[1]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11); c12 = VectorMath.MultiplyAdd(x, b2, c12);
            x = Vector256.Create(a[2]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21); c22 = VectorMath.MultiplyAdd(x, b2, c22);
            x = Vector256.Create(a[3]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31); c32 = VectorMath.MultiplyAdd(x, b2, c32);
            a += 4;
            b += bStride;
        }
        StoreRow(c, c00, c01, c02, overwrite); c += rowStride;
        StoreRow(c, c10, c11, c12, overwrite); c += rowStride;
        StoreRow(c, c20, c21, c22, overwrite); c += rowStride;
        StoreRow(c, c30, c31, c32, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, Vector256<T> v0, Vector256<T> v1, Vector256<T> v2, bool overwrite)
    {
        int width = Vector256<T>.Count;
        if (!overwrite)
        {
            v0 += Vector256.Load(row);
            v1 += Vector256.Load(row + width);
            v2 += Vector256.Load(row + 2 * width);
        }
        v0.Store(row);
        v1.Store(row + width);
        v2.Store(row + 2 * width);
    }
}

/// <summary>
/// 128-bit micro-kernel (SSE / NEON): a 6 × (2·W) tile of Vector128&lt;T&gt; (6×8 floats or 6×4 doubles) in 12 accumulators.
/// </summary>
internal readonly unsafe struct GemmKernel128<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 6;
    public static int Columns => 2 * Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        int width = Vector128<T>.Count;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + width);
            Vector128<T> x;
            x = Vector128.Create(a[0]); c00 = VectorMath.MultiplyAdd(x, b0, c00); c01 = VectorMath.MultiplyAdd(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = VectorMath.MultiplyAdd(x, b0, c10); c11 = VectorMath.MultiplyAdd(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = VectorMath.MultiplyAdd(x, b0, c20); c21 = VectorMath.MultiplyAdd(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = VectorMath.MultiplyAdd(x, b0, c30); c31 = VectorMath.MultiplyAdd(x, b1, c31);
            x = Vector128.Create(a[4]); c40 = VectorMath.MultiplyAdd(x, b0, c40); c41 = VectorMath.MultiplyAdd(x, b1, c41);
            x = Vector128.Create(a[5]); c50 = VectorMath.MultiplyAdd(x, b0, c50); c51 = VectorMath.MultiplyAdd(x, b1, c51);
            a += 6;
            b += bStride;
        }
        StoreRow(c, c00, c01, overwrite); c += rowStride;
        StoreRow(c, c10, c11, overwrite); c += rowStride;
        StoreRow(c, c20, c21, overwrite); c += rowStride;
        StoreRow(c, c30, c31, overwrite); c += rowStride;
        StoreRow(c, c40, c41, overwrite); c += rowStride;
        StoreRow(c, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, Vector128<T> left, Vector128<T> right, bool overwrite)
    {
        T* rowRight = row + Vector128<T>.Count;
        if (!overwrite)
        {
            left += Vector128.Load(row);
            right += Vector128.Load(rowRight);
        }
        left.Store(row);
        right.Store(rowRight);
    }
}

/// <summary>Portable scalar micro-kernel: a 4×4 tile in 16 scalar accumulators.</summary>
internal readonly unsafe struct GemmKernelScalar<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 4;
    public static int Columns => 4;

    public static void Run(int depth, T* a, T* b, nint bStride, T* c, nint rowStride, bool overwrite)
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero, c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero,
            c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero, c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (int p = 0; p < depth; p++)
        {
            T b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], x;
            x = a[0]; c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = a[1]; c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = a[2]; c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            x = a[3]; c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            a += 4;
            b += bStride;
        }
        StoreRow(c, c00, c01, c02, c03, overwrite); c += rowStride;
        StoreRow(c, c10, c11, c12, c13, overwrite); c += rowStride;
        StoreRow(c, c20, c21, c22, c23, overwrite); c += rowStride;
        StoreRow(c, c30, c31, c32, c33, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* row, T v0, T v1, T v2, T v3, bool overwrite)
    {
        if (overwrite)
        {
            row[0] = v0; row[1] = v1; row[2] = v2; row[3] = v3;
        }
        else
        {
            row[0] += v0; row[1] += v1; row[2] += v2; row[3] += v3;
        }
    }
}
