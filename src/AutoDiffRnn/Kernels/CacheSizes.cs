using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// The per-core data cache sizes of the processor, as the operating system reports them (Linux: <c>/sys/devices/system/cpu</c>), or
/// else as the x86 processor itself describes them (CPUID's deterministic cache parameters, which many virtual machines pass through
/// while hiding sysfs' cache folders), or else <see cref="Fallback"/>.
/// </summary>
/// <param name="Level1Data">Bytes of the level-1 data cache.</param>
/// <param name="Level2">Bytes of the level-2 cache.</param>
/// <param name="Source">Where the sizes were read: <c>sysfs</c>, <c>cpuid</c> or <c>fallback</c>.</param>
public sealed record CacheSizes(int Level1Data, int Level2, string Source)
{
    /// <summary>48 KB of L1 data and 1 MB of L2 (the machine the GEMM's blocking was first tuned on), when nothing reports the sizes.</summary>
    public static CacheSizes Fallback { get; } = new(48 * 1024, 1024 * 1024, "fallback");

    /// <summary>The sizes of this machine, read once.</summary>
    public static CacheSizes Detected { get; } = Detect();

    private static CacheSizes Detect() =>
        FromSysfs("/sys/devices/system/cpu/cpu0/cache") ?? FromCpuid() ?? Fallback;

    /// <summary>
    /// Reads the <c>index*</c> folders of a Linux cache folder (files <c>level</c>, <c>type</c>, <c>size</c>); null when the folder is
    /// missing or lacks an L1 data or an L2 entry.
    /// </summary>
    internal static CacheSizes? FromSysfs(string cacheFolder)
    {
        if (!Directory.Exists(cacheFolder)) return null;
        int? level1 = null, level2 = null;
        try
        {
            foreach (var index in Directory.EnumerateDirectories(cacheFolder, "index*"))
            {
                string level = ReadTrimmed(Path.Combine(index, "level")), type = ReadTrimmed(Path.Combine(index, "type"));
                int? size = ParseSysfsSize(ReadTrimmed(Path.Combine(index, "size")));
                if (level == "1" && type == "Data") level1 = size;
                else if (level == "2" && type is "Unified" or "Data") level2 = size;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        return level1 is > 0 && level2 is > 0 ? new CacheSizes(level1.Value, level2.Value, "sysfs") : null;
    }

    /// <summary>A sysfs cache size such as <c>48K</c>, <c>1024K</c> or <c>32M</c> in bytes; null when it does not parse.</summary>
    internal static int? ParseSysfsSize(string text)
    {
        if (text.Length == 0) return null;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, 'G' => 1024 * 1024 * 1024, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value * unit is > 0 and <= int.MaxValue
            ? (int)(value * unit)
            : null;
    }

    private static string ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";

    /// <summary>
    /// CPUID's deterministic cache parameters: leaf 4 (Intel) or 0x8000001D (AMD), one sub-leaf per cache until a null type; where a
    /// hypervisor hides those (it answers zeros), the older extended leaves 0x80000005 (AMD: L1 data) and 0x80000006 (L2), as glibc's
    /// <c>sysconf</c> reads them. Null on a processor that reports neither.
    /// </summary>
    private static CacheSizes? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        var (maxLeaf, vendorB, _, _) = X86Base.CpuId(0, 0);
        bool amd = vendorB == 0x68747541; // "Auth" of AuthenticAMD
        uint maxExtendedLeaf = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        int? level1 = null, level2 = null;
        if (amd ? maxExtendedLeaf >= 0x8000001D : maxLeaf >= 4)
        {
            int leaf = amd ? unchecked((int)0x8000001D) : 4;
            for (int sub = 0; sub < 16; sub++)
            {
                var (eax, ebx, ecx, _) = X86Base.CpuId(leaf, sub);
                var cache = DecodeCpuidCache(eax, ebx, ecx);
                if (cache is null) break;
                if (cache.Value.Level == 1 && cache.Value.IsData) level1 = cache.Value.Bytes;
                else if (cache.Value.Level == 2 && cache.Value.IsData) level2 = cache.Value.Bytes;
            }
        }
        if (maxExtendedLeaf >= 0x80000006)
        {
            int legacyLevel2 = DecodeLegacyLevel2(X86Base.CpuId(unchecked((int)0x80000006), 0).Ecx);
            if (level2 is null && legacyLevel2 > 0) level2 = legacyLevel2;
            int legacyLevel1 = amd ? DecodeLegacyAmdLevel1Data(X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx) : 0;
            if (level1 is null && legacyLevel1 > 0) level1 = legacyLevel1;
        }
        return level1 is > 0 && level2 is > 0 ? new CacheSizes(level1.Value, level2.Value, "cpuid") : null;
    }

    /// <summary>CPUID 0x80000005 ECX on AMD: bits 24-31 the L1 data cache in KB.</summary>
    internal static int DecodeLegacyAmdLevel1Data(int ecx) => (int)((uint)ecx >> 24) * 1024;

    /// <summary>CPUID 0x80000006 ECX (AMD and Intel): bits 16-31 the L2 cache in KB.</summary>
    internal static int DecodeLegacyLevel2(int ecx) => (int)((uint)ecx >> 16) * 1024;

    /// <summary>
    /// One sub-leaf of CPUID leaf 4 / 0x8000001D: EAX bits 0-4 the type (0 none, 1 data, 2 instruction, 3 unified), bits 5-7 the level;
    /// the size is (ways + 1)(partitions + 1)(line size + 1)(sets + 1) from EBX bits 22-31, 12-21, 0-11 and ECX. Null for type 0.
    /// </summary>
    internal static (int Level, bool IsData, int Bytes)? DecodeCpuidCache(int eax, int ebx, int ecx)
    {
        int type = eax & 0x1F;
        if (type == 0) return null;
        int level = (eax >> 5) & 0x7;
        long ways = ((uint)ebx >> 22) + 1, partitions = ((ebx >> 12) & 0x3FF) + 1, line = (ebx & 0xFFF) + 1, sets = (uint)ecx + 1L;
        long bytes = ways * partitions * line * sets;
        return (level, type is 1 or 3, (int)Math.Min(bytes, int.MaxValue));
    }
}
