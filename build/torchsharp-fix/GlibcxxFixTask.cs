// The MSBuild task of TorchSharpFix.targets (compiled by RoslynCodeTaskFactory against netstandard2.0: no records, ranges or
// newer overloads): see the comment there.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class AutoDiffRnnTorchSharpGlibcxxFix : Microsoft.Build.Utilities.Task
{
    private const string Version = "GLIBCXX_3.4.32";
    private const string ShimName = "libios_base_library_init.so";
    private const ushort WeakFlag = 0x2; // VER_FLG_WEAK

    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string ShimSource { get; set; } = "";

    public override bool Execute()
    {
        string? systemLibrary = FindSystemLibstdcxx();
        if (systemLibrary is null)
        {
            Log.LogMessage(MessageImportance.Low, "TorchSharp fix: no system libstdc++.so.6 found; nothing to patch");
            return true;
        }
        var defined = DefinedVersions(File.ReadAllBytes(systemLibrary));
        if (defined.Contains(Version))
        {
            Log.LogMessage(MessageImportance.Low, $"TorchSharp fix: {systemLibrary} defines {Version}; nothing to patch");
            return true;
        }
        var newest = defined.Where(name => name.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal))
            .Select(name => int.TryParse(name.Substring("GLIBCXX_3.4.".Length), out int minor) ? minor : -1)
            .DefaultIfEmpty(-1).Max();
        if (newest < 0)
        {
            // Not a libstdc++ we can read: patching blindly could break a working setup.
            Log.LogWarning($"TorchSharp fix: {systemLibrary} defines no GLIBCXX_3.4.x version; not patching");
            return true;
        }
        Log.LogMessage(MessageImportance.Normal, $"TorchSharp fix: {systemLibrary} defines GLIBCXX up to 3.4.{newest}, not {Version}");
        foreach (var item in Libraries)
        {
            try { Patch(item.GetMetadata("FullPath"), systemLibrary); }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException)
            {
                Log.LogError($"TorchSharp fix: {item.ItemSpec}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private void Patch(string library, string systemLibrary)
    {
        byte[] image = File.ReadAllBytes(library);
        var elf = new Elf(image, library);
        var entry = elf.VersionNeeds().FirstOrDefault(need => need.Name == Version);
        if (entry.Name is null)
        {
            Log.LogMessage(MessageImportance.Low, $"TorchSharp fix: {library} does not require {Version}; nothing to patch");
            return;
        }
        bool weak = (entry.Flags & WeakFlag) != 0;
        bool linked = elf.Needed().Contains(ShimName);
        string directory = Path.GetDirectoryName(library)!;
        string shim = Path.Combine(directory, ShimName);
        if (weak && linked && File.Exists(shim)) return;

        Log.LogMessage(MessageImportance.High,
            $"TorchSharp fix: {systemLibrary} lacks {Version}; patching {library} (README: Known platform issues)");
        // A fresh file first: never write through a hard link into the package cache.
        string fresh = library + ".patching";
        File.Copy(library, fresh, overwrite: true);
        if (!weak)
        {
            byte[] copy = File.ReadAllBytes(fresh);
            Elf.WriteUInt16(copy, entry.FlagsOffset, (ushort)(entry.Flags | WeakFlag));
            File.WriteAllBytes(fresh, copy);
        }
        if (!File.Exists(shim))
            Run("g++", $"-shared -fPIC -O2 -o \"{shim}\" \"{ShimSource}\"", "install g++ (apt-get install g++)");
        if (!linked)
            Run("patchelf", $"--add-needed {ShimName} \"{fresh}\"", "install patchelf (apt-get install patchelf)");
        File.Delete(library);
        File.Move(fresh, library);

        var check = new Elf(File.ReadAllBytes(library), library);
        if ((check.VersionNeeds().First(need => need.Name == Version).Flags & WeakFlag) == 0 || !check.Needed().Contains(ShimName))
            throw new InvalidOperationException($"the patch did not hold (weak {Version} and NEEDED {ShimName} expected)");
    }

    private void Run(string program, string arguments, string hint)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(program, arguments)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{program} not found: {hint}");
        }
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {arguments} failed with exit code {process.ExitCode}: {output.Trim()}");
    }

    /// <summary>The libstdc++.so.6 the dynamic loader would pick: from ldconfig's cache, else the usual folders.</summary>
    private static string? FindSystemLibstdcxx()
    {
        foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
        {
            if (!File.Exists(ldconfig)) continue;
            try
            {
                using var process = Process.Start(new ProcessStartInfo(ldconfig, "-p")
                {
                    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                })!;
                string output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                foreach (var line in output.Split('\n'))
                {
                    if (!line.TrimStart().StartsWith("libstdc++.so.6 ") || !line.Contains("x86-64")) continue;
                    int arrow = line.IndexOf("=> ", StringComparison.Ordinal);
                    string candidate = arrow >= 0 ? line.Substring(arrow + 3).Trim() : "";
                    if (candidate.Length > 0 && File.Exists(candidate)) return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
    }

    /// <summary>The version names a library defines (.gnu.version_d).</summary>
    private static HashSet<string> DefinedVersions(byte[] image) => new Elf(image, "libstdc++.so.6").VersionDefinitions();

    /// <summary>A minimal reader of little-endian ELF64 shared libraries: section headers, version needs and definitions, DT_NEEDED.</summary>
    private sealed class Elf
    {
        private const uint DynamicSection = 6, VersionDefinitionSection = 0x6ffffffd, VersionNeedSection = 0x6ffffffe;
        private readonly byte[] image;
        private readonly string path;
        private readonly List<(uint Type, long Offset, long Size, uint Link, uint Info)> sections = new();

        public Elf(byte[] image, string path)
        {
            this.image = image;
            this.path = path;
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException($"{path} is not an ELF file");
            if (image[4] != 2 || image[5] != 1) throw new InvalidDataException($"{path} is not a little-endian ELF64 file");
            long sectionTable = Int64(0x28);
            int entrySize = UInt16(0x3A), count = UInt16(0x3C);
            if (sectionTable <= 0 || entrySize < 64 || sectionTable + (long)entrySize * count > image.Length)
                throw new InvalidDataException($"{path}: section header table missing or out of bounds");
            for (int i = 0; i < count; i++)
            {
                long at = sectionTable + (long)i * entrySize;
                var section = (UInt32(at + 4), Int64(at + 0x18), Int64(at + 0x20), UInt32(at + 0x28), UInt32(at + 0x2C));
                if (section.Item1 != 8 /* SHT_NOBITS */ && section.Item2 + section.Item3 > image.Length)
                    throw new InvalidDataException($"{path}: section {i} out of bounds");
                sections.Add(section);
            }
        }

        public struct VersionNeed
        {
            public string File, Name;
            public ushort Flags;
            public long FlagsOffset;
        }

        public IEnumerable<VersionNeed> VersionNeeds()
        {
            foreach (var section in sections.Where(s => s.Type == VersionNeedSection))
            {
                var strings = sections[(int)section.Link];
                long need = section.Offset;
                for (uint n = 0; n < section.Info; n++)
                {
                    Check(need + 16, section);
                    string file = ReadString(strings.Offset, UInt32(need + 4));
                    long aux = need + UInt32(need + 8);
                    for (int a = 0; a < UInt16(need + 2); a++)
                    {
                        Check(aux + 16, section);
                        yield return new VersionNeed { File = file, Name = ReadString(strings.Offset, UInt32(aux + 8)), Flags = UInt16(aux + 4), FlagsOffset = aux + 4 };
                        uint nextAux = UInt32(aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = UInt32(need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
        }

        public HashSet<string> VersionDefinitions()
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var section in sections.Where(s => s.Type == VersionDefinitionSection))
            {
                var strings = sections[(int)section.Link];
                long definition = section.Offset;
                for (uint d = 0; d < section.Info; d++)
                {
                    Check(definition + 20, section);
                    if (UInt16(definition + 6) > 0) // vd_cnt: the first auxiliary entry names the version
                    {
                        long aux = definition + UInt32(definition + 12);
                        Check(aux + 8, section);
                        names.Add(ReadString(strings.Offset, UInt32(aux)));
                    }
                    uint next = UInt32(definition + 16);
                    if (next == 0) break;
                    definition += next;
                }
            }
            return names;
        }

        public HashSet<string> Needed()
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var section in sections.Where(s => s.Type == DynamicSection))
            {
                var strings = sections[(int)section.Link];
                for (long at = section.Offset; at + 16 <= section.Offset + section.Size; at += 16)
                {
                    long tag = Int64(at);
                    if (tag == 0) break;
                    if (tag == 1) names.Add(ReadString(strings.Offset, (uint)Int64(at + 8)));
                }
            }
            return names;
        }

        private void Check(long end, (uint Type, long Offset, long Size, uint Link, uint Info) section)
        {
            if (end > section.Offset + section.Size || end > image.Length)
                throw new InvalidDataException($"{path}: version table entry out of bounds");
        }

        private string ReadString(long table, uint offset)
        {
            long start = table + offset, end = start;
            while (end < image.Length && image[end] != 0) end++;
            if (end >= image.Length) throw new InvalidDataException($"{path}: string out of bounds");
            return Encoding.ASCII.GetString(image, (int)start, (int)(end - start));
        }

        private ushort UInt16(long at) => (ushort)(image[at] | image[at + 1] << 8);
        private uint UInt32(long at) => (uint)(UInt16(at) | UInt16(at + 2) << 16);
        private long Int64(long at) => (long)(UInt32(at) | (ulong)UInt32(at + 4) << 32);

        public static void WriteUInt16(byte[] image, long at, ushort value)
        {
            image[at] = (byte)value;
            image[at + 1] = (byte)(value >> 8);
        }
    }
}
