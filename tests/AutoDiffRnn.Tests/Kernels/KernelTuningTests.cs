using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>
/// The kernel tuning record: its cache-derived defaults, where the cache sizes are read, the scoped override (nesting, other threads,
/// work started inside the scope) and its checks; and the GEMM run under tiny blocks, so every block boundary is crossed whatever the
/// machine's caches.
/// </summary>
public class KernelTuningTests
{
    [Theory]
    [InlineData(48 * 1024, 1024 * 1024, 256, 384 * 1024)]
    [InlineData(32 * 1024, 512 * 1024, 160, 192 * 1024)]
    [InlineData(4 * 1024, 64 * 1024, 64, 128 * 1024)]
    [InlineData(1024 * 1024, 64 * 1024 * 1024, 1024, 4 * 1024 * 1024)]
    public void BlockingFollowsTheCaches(int level1, int level2, int depthBlock, int rowBlockBytes)
    {
        var tuning = KernelTuning.ForCaches(new CacheSizes(level1, level2, "test"));
        Assert.Equal(depthBlock, tuning.DepthBlock);
        Assert.Equal(rowBlockBytes, tuning.RowBlockBytes);
        Assert.Equal(new KernelTuning().ColumnBlock, tuning.ColumnBlock);
    }

    [Fact]
    public void DefaultIsTheDetectedCachesTuning()
    {
        Assert.Equal(KernelTuning.ForCaches(CacheSizes.Detected), KernelTuning.Default);
        Assert.True(CacheSizes.Detected.Level1Data > 0 && CacheSizes.Detected.Level2 > CacheSizes.Detected.Level1Data,
            $"detected {CacheSizes.Detected}");
    }

    [Theory]
    [InlineData("48K", 48 * 1024)]
    [InlineData("1024K", 1024 * 1024)]
    [InlineData("32M", 32 * 1024 * 1024)]
    [InlineData("65536", 65536)]
    [InlineData("", null)]
    [InlineData("K", null)]
    [InlineData("-4K", null)]
    [InlineData("lots", null)]
    public void SysfsSizesParse(string text, int? bytes) => Assert.Equal(bytes, CacheSizes.ParseSysfsSize(text));

    [Fact]
    public void SysfsFolderIsRead()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kernel-tuning-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var (index, level, type, size) in new[] { (0, 1, "Data", "32K"), (1, 1, "Instruction", "64K"), (2, 2, "Unified", "2048K"), (3, 3, "Unified", "32M") })
            {
                var path = Directory.CreateDirectory(Path.Combine(folder, $"index{index}")).FullName;
                File.WriteAllText(Path.Combine(path, "level"), $"{level}\n");
                File.WriteAllText(Path.Combine(path, "type"), type + "\n");
                File.WriteAllText(Path.Combine(path, "size"), size + "\n");
            }
            Assert.Equal(new CacheSizes(32 * 1024, 2048 * 1024, "sysfs"), CacheSizes.FromSysfs(folder));
            Directory.Delete(Path.Combine(folder, "index2"), recursive: true);
            Assert.Null(CacheSizes.FromSysfs(folder)); // no L2 entry: not trusted
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        Assert.Null(CacheSizes.FromSysfs(folder));
    }

    [Fact]
    public void CpuidCacheParametersDecode()
    {
        // A 48 KB, 12-way L1 data cache of 64-byte lines: 64 sets. Fields hold each count minus one.
        int eax = 1 | (1 << 5), ebx = (11 << 22) | (0 << 12) | 63, ecx = 63;
        Assert.Equal((1, true, 48 * 1024), CacheSizes.DecodeCpuidCache(eax, ebx, ecx));
        // A 1 MB, 8-way unified L2: 2048 sets.
        Assert.Equal((2, true, 1024 * 1024), CacheSizes.DecodeCpuidCache(3 | (2 << 5), (7 << 22) | 63, 2047));
        Assert.Equal((1, false, 32 * 1024), CacheSizes.DecodeCpuidCache(2 | (1 << 5), (7 << 22) | 63, 63));
        Assert.Null(CacheSizes.DecodeCpuidCache(0, ebx, ecx)); // type 0: no more caches
        // The older extended leaves, as a Zen 5 virtual machine answers them: 48 KB of L1 data, 1 MB of L2.
        Assert.Equal(48 * 1024, CacheSizes.DecodeLegacyAmdLevel1Data(0x300c0140));
        Assert.Equal(1024 * 1024, CacheSizes.DecodeLegacyLevel2(0x04006140));
    }

    [Fact]
    public void ScopesNestAndRestore()
    {
        var outer = KernelTuning.Current;
        var one = outer with { MaxParallelism = 1 };
        var two = outer with { MaxParallelism = 2, DepthBlock = 16 };
        using (KernelTuning.Use(one))
        {
            Assert.Same(one, KernelTuning.Current);
            Assert.Equal(1, Gemm.MaxParallelism);
            using (KernelTuning.Use(two)) Assert.Same(two, KernelTuning.Current);
            Assert.Same(one, KernelTuning.Current);
        }
        Assert.Same(outer, KernelTuning.Current);
    }

    [Fact]
    public void AScopeReachesTheWorkItStartsButNotOtherThreads()
    {
        var tuning = KernelTuning.Current with { DepthBlock = 24 };
        using var ready = new ManualResetEventSlim();
        using var scopeOpen = new ManualResetEventSlim();
        KernelTuning? seenElsewhere = null;
        var other = new Thread(() =>
        {
            ready.Set();
            scopeOpen.Wait();
            seenElsewhere = KernelTuning.Current;
        });
        other.Start(); // started before the scope: its execution context does not hold it
        ready.Wait();
        var seenInside = new KernelTuning[8];
        using (KernelTuning.Use(tuning))
        {
            scopeOpen.Set();
            other.Join();
            Parallel.For(0, seenInside.Length, i => seenInside[i] = KernelTuning.Current);
        }
        Assert.NotEqual(24, seenElsewhere!.DepthBlock);
        Assert.All(seenInside, seen => Assert.Same(tuning, seen));
    }

    [Theory]
    [InlineData(nameof(KernelTuning.DepthBlock))]
    [InlineData(nameof(KernelTuning.MaxParallelism))]
    [InlineData(nameof(KernelTuning.ParallelThreshold))]
    public void BadValuesAreRefusedNamingTheField(string field)
    {
        var bad = field switch
        {
            nameof(KernelTuning.DepthBlock) => KernelTuning.Current with { DepthBlock = 0 },
            nameof(KernelTuning.MaxParallelism) => KernelTuning.Current with { MaxParallelism = -1 },
            _ => KernelTuning.Current with { ParallelThreshold = -5 },
        };
        var before = KernelTuning.Current;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => KernelTuning.Use(bad));
        Assert.Contains($"kernel tuning: {field} must be at least", error.Message);
        Assert.Same(before, KernelTuning.Current);
    }

    /// <summary>Tiny blocks: many depth, row and column blocks in every product, split over the cores from the first multiply-add;
    /// once with B packed and once read in place.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    public void GemmIsExactAcrossTinyBlocks(int directRowsLimit)
    {
        var tiny = KernelTuning.Current with
        {
            DepthBlock = 8, DirectDepthBlock = 8, RowBlockBytes = 1, ColumnBlock = 40, ParallelThreshold = 0, MaxParallelism = 2,
            DirectRowsLimit = directRowsLimit, DirectMinimumPanelBytes = 0, DotProductRowsLimit = 0,
        };
        var random = new Random(directRowsLimit + 5);
        using (KernelTuning.Use(tiny))
        foreach (var (m, n, k) in new[] { (37, 150, 29), (5, 90, 70), (130, 33, 17) })
        foreach (bool transposeA in new[] { false, true })
        foreach (bool transposeB in new[] { false, true })
        {
            double[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), c = RandomValues(random, m * n);
            var expected = (double[])c.Clone();
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
                expected[i * n + j] += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
            Gemm.Multiply<double>(a, transposeA, b, transposeB, c, m, n, k, accumulate: true);
            for (int i = 0; i < c.Length; i++)
                Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])),
                    $"m={m} n={n} k={k} transposeA={transposeA} transposeB={transposeB}: C[{i}] = {c[i]:R}, expected {expected[i]:R}");
        }
    }

    private static double[] RandomValues(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();
}
