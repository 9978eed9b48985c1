using System.Numerics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>
/// The packed GEMM against a plain triple loop accumulated in double, for float and double, all transpose
/// combinations, with and without accumulation, on sizes chosen to hit edge tiles, block boundaries and the parallel path.
/// </summary>
public class GemmTests
{
    private const double DoubleTolerance = 1e-12;
    private const double FloatTolerance = 1e-4;

    /// <summary>(m, n, k) shapes: tiny, prime, degenerate (m, n or k of 1 or 0), straddling the micro-tile (12×32 / 12×16),
    /// the depth block (256), the row block (384 floats / 192 doubles), the column block (4096), the limit for reading B
    /// in place (256 rows), and products large enough to split over cores.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 2, 2, 2 }, { 7, 13, 17 }, { 13, 7, 17 }, { 17, 13, 7 },
        { 1, 50, 33 }, { 50, 1, 33 }, { 1, 1, 40 }, { 40, 30, 1 }, { 5, 6, 0 }, { 0, 6, 5 }, { 6, 0, 5 },
        { 12, 32, 256 }, { 11, 31, 255 }, { 13, 33, 257 }, { 12, 16, 8 }, { 25, 47, 513 },
        { 257, 129, 65 }, { 385, 40, 20 }, { 383, 33, 9 }, { 193, 20, 10 }, { 191, 17, 3 }, { 3, 4097, 3 },
        { 300, 500, 200 }, { 40, 1000, 70 },
        // Few rows: the 4-row and 8-row kernels, B read in place, and dot products of rows for A Bᵀ with a long depth.
        { 3, 37, 300 }, { 4, 9, 256 }, { 4, 70, 20 }, { 2, 70, 263 }, { 6, 100, 40 }, { 16, 64, 50 }, { 32, 40, 30 },
    };

    /// <summary>Shapes run with every micro-kernel (the 256-bit, 128-bit and scalar fallbacks as well as the AVX-512 one).</summary>
    private static readonly (int M, int N, int K)[] KernelShapes =
        [(7, 13, 17), (13, 33, 257), (30, 70, 40), (6, 8, 5), (120, 90, 300)];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FloatMatchesReference(int m, int n, int k) =>
        CheckAllVariants<float>(m, n, k, FloatTolerance, Gemm.BestKernel, seed: m * 1_000_003 + n * 1009 + k);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DoubleMatchesReference(int m, int n, int k) =>
        CheckAllVariants<double>(m, n, k, DoubleTolerance, Gemm.BestKernel, seed: m * 1_000_003 + n * 1009 + k + 1);

    [Theory]
    [InlineData("Vector512")]
    [InlineData("Vector256")]
    [InlineData("Vector128")]
    [InlineData("Scalar")]
    public void EveryKernelMatchesReference(string kernelName)
    {
        var kernel = Enum.Parse<Gemm.KernelKind>(kernelName);
        foreach (var (m, n, k) in KernelShapes)
        {
            CheckAllVariants<float>(m, n, k, FloatTolerance, kernel, seed: m + n + k);
            CheckAllVariants<double>(m, n, k, DoubleTolerance, kernel, seed: m + n + k + 1);
        }
    }

    [Fact]
    public void SmallProductByHand()
    {
        // [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50]
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        Gemm.Multiply<float>(a, false, b, false, c, 2, 2, 2, accumulate: false);
        Assert.Equal([19f, 22f, 43f, 50f], c);
        // Aᵀ B = [1 3; 2 4] [5 6; 7 8] = [26 30; 38 44], added to the previous C.
        Gemm.Multiply<float>(a, true, b, false, c, 2, 2, 2, accumulate: true);
        Assert.Equal([45f, 52f, 81f, 94f], c);
    }

    [Fact]
    public void LeavesElementsPastTheProductUntouched()
    {
        var a = RandomMatrix<double>(new Random(3), 20 * 30);
        var b = RandomMatrix<double>(new Random(4), 30 * 40);
        var c = new double[20 * 40 + 5];
        c.AsSpan(20 * 40).Fill(-7);
        Gemm.Multiply<double>(a, false, b, false, c, 20, 40, 30, accumulate: false);
        Assert.All(c[(20 * 40)..], value => Assert.Equal(-7, value));
    }

    [Fact]
    public void RepeatedCallsGiveIdenticalResults()
    {
        // Buffers are reused between calls: stale packed data must never leak into a later product.
        var random = new Random(5);
        var a = RandomMatrix<float>(random, 100 * 70);
        var b = RandomMatrix<float>(random, 70 * 90);
        var first = new float[100 * 90];
        Gemm.Multiply<float>(a, false, b, true, first, 100, 90, 70, accumulate: false);
        var smallA = RandomMatrix<float>(random, 5 * 3);
        var smallB = RandomMatrix<float>(random, 3 * 7);
        Gemm.Multiply<float>(smallA, false, smallB, false, new float[35], 5, 7, 3, accumulate: false);
        var second = new float[100 * 90];
        Gemm.Multiply<float>(a, false, b, true, second, 100, 90, 70, accumulate: false);
        Assert.Equal(first, second);
    }

    [Fact]
    public void RejectsBuffersTooSmall()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply<float>(new float[6], false, new float[12], false, new float[7], 2, 4, 3, accumulate: false));
        Assert.Contains("gemm", error.Message);
        Assert.Contains("C has 7", error.Message);
    }

    [Fact]
    public void ReferenceCatchesAWrongProduct()
    {
        // The comparison used by every test must be able to fail: a product off by one unit in one element is flagged.
        double[] a = [1, 2, 3, 4], b = [5, 6, 7, 8];
        double[] wrong = [19, 22, 43, 51];
        Assert.NotNull(FirstMismatch(a, false, b, false, null, wrong, 2, 2, 2, DoubleTolerance));
        Assert.Null(FirstMismatch(a, false, b, false, null, [19, 22, 43, 50], 2, 2, 2, DoubleTolerance));
    }

    /// <summary>(rows packed for, rows multiplied, n, k) for a B packed once (<see cref="Gemm.Pack{T}"/>): one row (the vector path),
    /// each kernel shape (4, 8 and 12 rows), fewer or more rows than packed for, ragged panels, depths over one packed block (1024),
    /// and a product large enough to split over the cores.</summary>
    public static TheoryData<int, int, int, int> PackedShapes => new()
    {
        { 1, 1, 7, 5 }, { 1, 1, 256, 64 }, { 1, 1, 64, 256 }, { 1, 1, 33, 1100 }, { 4, 3, 70, 20 }, { 16, 16, 512, 128 },
        { 32, 32, 1024, 256 }, { 32, 17, 256, 1024 }, { 12, 30, 50, 2100 }, { 64, 64, 2048, 40 }, { 7, 1, 40, 9 },
    };

    [Theory]
    [MemberData(nameof(PackedShapes))]
    public void PackedMatchesReference(int packedRows, int m, int n, int k)
    {
        CheckPacked<float>(packedRows, m, n, k, FloatTolerance, seed: m * 1009 + n + k);
        CheckPacked<double>(packedRows, m, n, k, DoubleTolerance, seed: m * 1009 + n + k + 1);
    }

    private static void CheckPacked<T>(int packedRows, int m, int n, int k, double tolerance, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var a = RandomMatrix<T>(random, m * k);
        var b = RandomMatrix<T>(random, k * n);
        var initial = RandomMatrix<T>(random, m * n);
        foreach (bool transposeA in new[] { false, true })
        foreach (bool transposeB in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
        foreach (bool parallel in new[] { false, true })
        {
            var storedA = transposeA ? Transpose(a, m, k) : a;
            var storedB = transposeB ? Transpose(b, k, n) : b;
            using var packed = Gemm.Pack<T>(storedB, transposeB, k, n, packedRows);
            var c = accumulate ? (T[])initial.Clone() : Enumerable.Repeat(T.NaN, m * n).ToArray();
            Gemm.Multiply<T>(storedA, transposeA, packed, c, m, accumulate, parallel);
            string? mismatch = FirstMismatch(storedA, transposeA, storedB, transposeB, accumulate ? initial : null, c, m, n, k, tolerance);
            Assert.True(mismatch is null,
                $"{typeof(T).Name} packed for {packedRows} rows, m={m} n={n} k={k} transposeA={transposeA} transposeB={transposeB} " +
                $"accumulate={accumulate} parallel={parallel}: {mismatch}");
        }
    }

    private static void CheckAllVariants<T>(int m, int n, int k, double tolerance, Gemm.KernelKind kernel, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var a = RandomMatrix<T>(random, m * k);
        var b = RandomMatrix<T>(random, k * n);
        var initial = RandomMatrix<T>(random, m * n);
        foreach (bool transposeA in new[] { false, true })
        foreach (bool transposeB in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
        {
            // The logical op(A) is m×k row-major in `a`; store it transposed (k×m) when transposeA, likewise B.
            var storedA = transposeA ? Transpose(a, m, k) : a;
            var storedB = transposeB ? Transpose(b, k, n) : b;
            // Without accumulation C starts as NaN: any read of the old C would poison the result.
            var c = accumulate ? (T[])initial.Clone() : Enumerable.Repeat(T.NaN, m * n).ToArray();
            Gemm.Multiply<T>(storedA, transposeA, storedB, transposeB, c, m, n, k, accumulate, kernel);
            string? mismatch = FirstMismatch(storedA, transposeA, storedB, transposeB, accumulate ? initial : null, c, m, n, k, tolerance);
            Assert.True(mismatch is null,
                $"{typeof(T).Name} {kernel} m={m} n={n} k={k} transposeA={transposeA} transposeB={transposeB} accumulate={accumulate}: {mismatch}");
        }
    }

    /// <summary>
    /// Compares C with a triple loop in double; an element fails when its error exceeds tolerance × (Σ|a||b| + |c₀|),
    /// the scale of rounding errors in a dot product. Returns a description of the first failure, or null.
    /// </summary>
    private static string? FirstMismatch<T>(T[] a, bool transposeA, T[] b, bool transposeB, T[]? initial, T[] c,
        int m, int n, int k, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = 0, scale = 0;
            for (int p = 0; p < k; p++)
            {
                double x = double.CreateChecked(transposeA ? a[p * m + i] : a[i * k + p]);
                double y = double.CreateChecked(transposeB ? b[j * k + p] : b[p * n + j]);
                sum += x * y;
                scale += Math.Abs(x * y);
            }
            if (initial is not null)
            {
                double start = double.CreateChecked(initial[i * n + j]);
                sum += start;
                scale += Math.Abs(start);
            }
            double actual = double.CreateChecked(c[i * n + j]);
            double error = Math.Abs(actual - sum);
            if (!(error <= tolerance * Math.Max(scale, 1e-300)))
                return $"C[{i},{j}] = {actual:R}, expected {sum:R} (error {error:E2}, scale {scale:E2})";
        }
        return null;
    }

    private static T[] RandomMatrix<T>(Random random, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (int i = 0; i < count; i++) values[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return values;
    }

    private static T[] Transpose<T>(T[] matrix, int rows, int columns)
    {
        var result = new T[matrix.Length];
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < columns; j++)
            result[j * rows + i] = matrix[i * columns + j];
        return result;
    }
}
