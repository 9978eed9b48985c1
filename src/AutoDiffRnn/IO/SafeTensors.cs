using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AutoDiffRnn.IO;

/// <summary>An integer tensor read from or written to a safetensors file (dtype I64), e.g. token ids.</summary>
/// <param name="Values">The values in row-major order.</param>
/// <param name="Shape">The shape.</param>
public sealed record IntegerTensor(long[] Values, Shape Shape);

/// <summary>The contents of a safetensors file.</summary>
/// <param name="Tensors">The F32 and F64 tensors by name.</param>
/// <param name="Integers">The I64 tensors by name.</param>
/// <param name="Metadata">The free-form string metadata (<c>__metadata__</c>).</param>
public sealed record SafeTensorsContent(
    IReadOnlyDictionary<string, Tensor> Tensors,
    IReadOnlyDictionary<string, IntegerTensor> Integers,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format of Hugging Face and PyTorch: an 8-byte little-endian header length, a UTF-8 JSON header mapping each name to
/// its dtype, shape and [begin, end) byte offsets into the data, padded with spaces to a multiple of 8, then the raw little-endian data.
/// Reading validates everything before allocating; a corrupt or hostile file gives an <see cref="InvalidDataException"/>.
/// Writing is atomic (a temporary file in the same folder, then a rename).
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MB).</summary>
    public const long MaximumHeaderBytes = 100_000_000;

    /// <summary>Writes tensors (and optional integer tensors and metadata) to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, IntegerTensor>? integers = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var bytes = Serialize(tensors, integers, metadata);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Reads a safetensors file.</summary>
    public static SafeTensorsContent Load(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length > int.MaxValue)
            throw Corrupt(path, $"{stream.Length} bytes, more than this reader supports ({int.MaxValue})");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Deserialize(bytes, path);
    }

    /// <summary>The file's bytes for the given tensors: entries sorted by name.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, IntegerTensor>? integers = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        integers ??= new Dictionary<string, IntegerTensor>();
        var names = tensors.Keys.Concat(integers.Keys).ToList();
        if (names.Count != names.Distinct().Count())
            throw new ArgumentException("safetensors: a name is used for both a float and an integer tensor");
        names.Sort(StringComparer.Ordinal);
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var name in names)
        {
            byte[] blob;
            string dtype;
            int[] shape;
            if (tensors.TryGetValue(name, out var tensor))
            {
                (dtype, shape) = (tensor.DType == DType.Float32 ? "F32" : "F64", tensor.Shape.ToArray());
                blob = tensor.DType == DType.Float32
                    ? MemoryMarshal.AsBytes(tensor.Span<float>()).ToArray()
                    : MemoryMarshal.AsBytes(tensor.Span<double>()).ToArray();
            }
            else
            {
                var integer = integers[name];
                if (integer.Values.Length != integer.Shape.ElementCount)
                    throw new ArgumentException($"safetensors: integer tensor '{name}' has {integer.Values.Length} values for shape {integer.Shape}");
                (dtype, shape) = ("I64", integer.Shape.ToArray());
                blob = MemoryMarshal.AsBytes(integer.Values.AsSpan()).ToArray();
            }
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors: big-endian machines are not supported");
            header[name] = new Dictionary<string, object> { ["dtype"] = dtype, ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + blob.Length } };
            blobs.Add(blob);
            offset += blob.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 7) / 8 * 8;
        var output = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)padded);
        json.CopyTo(output, 8);
        output.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        long position = 8 + padded;
        foreach (var blob in blobs)
        {
            blob.CopyTo(output, position);
            position += blob.Length;
        }
        return output;
    }

    /// <summary>
    /// Parses a safetensors file's bytes; <paramref name="source"/> names it in error messages. Every malformed input gives an
    /// <see cref="InvalidDataException"/> whose message starts with "safetensors: &lt;source&gt;: " and names the entry and field at fault.
    /// </summary>
    public static SafeTensorsContent Deserialize(byte[] bytes, string source = "input")
    {
        if (bytes.Length < 8) throw Corrupt(source, $"{bytes.Length} bytes is too short for the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaximumHeaderBytes) throw Corrupt(source, $"header length {headerLength} exceeds the {MaximumHeaderBytes}-byte limit");
        if (headerLength > (ulong)(bytes.Length - 8)) throw Corrupt(source, $"header length {headerLength} runs past the end of the {bytes.Length}-byte file");
        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;
        var (entries, metadata) = SafeTensorsHeaderParser.Parse(bytes.AsSpan(8, (int)headerLength), source);
        CheckTiling(entries, dataLength, source);

        int integerCount = entries.Count(entry => entry.DType == "I64");
        var tensors = new Dictionary<string, Tensor>(entries.Count - integerCount, StringComparer.Ordinal);
        var integers = new Dictionary<string, IntegerTensor>(integerCount, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var span = bytes.AsSpan(checked(dataStart + (int)entry.Begin), checked((int)(entry.End - entry.Begin)));
            var shape = Shape.Wrap(entry.Dimensions);
            if (entry.DType == "F32") tensors.Add(entry.Name, new Tensor(MemoryMarshal.Cast<byte, float>(span).ToArray(), shape));
            else if (entry.DType == "F64") tensors.Add(entry.Name, new Tensor(MemoryMarshal.Cast<byte, double>(span).ToArray(), shape));
            else integers.Add(entry.Name, new IntegerTensor(MemoryMarshal.Cast<byte, long>(span).ToArray(), shape));
        }
        return new SafeTensorsContent(tensors, integers, metadata);
    }

    /// <summary>
    /// Checks each entry's byte range against its dtype and shape (checked arithmetic) and that the ranges, sorted, tile the data
    /// section exactly: no gap, no overlap, nothing left over, as the safetensors specification requires.
    /// </summary>
    private static void CheckTiling(List<SafeTensorsEntry> entries, long dataLength, string source)
    {
        foreach (var entry in entries)
        {
            string name = SafeTensorsHeaderParser.Quote(entry.Name);
            if (entry.End < entry.Begin || entry.End > dataLength)
                throw Corrupt(source, $"entry {name}: field 'data_offsets': [{entry.Begin}, {entry.End}] is outside the {dataLength}-byte data");
            long needed = checked((long)entry.ElementCount * SafeTensorsEntry.ElementSize(entry.DType));
            if (entry.End - entry.Begin != needed)
                throw Corrupt(source, $"entry {name}: field 'data_offsets': shape [{string.Join(",", entry.Dimensions)}] of {entry.DType} " +
                    $"needs {needed} bytes but its offsets span {entry.End - entry.Begin}");
        }
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var entry in sorted)
        {
            if (entry.Begin != expected)
                throw Corrupt(source, $"entry {SafeTensorsHeaderParser.Quote(entry.Name)}: field 'data_offsets': starts at byte {entry.Begin}, " +
                    $"but the previous data ends at {expected} (overlap or gap)");
            expected = entry.End;
        }
        if (expected != dataLength) throw Corrupt(source, $"the entries cover {expected} bytes but the data holds {dataLength}");
    }

    private static InvalidDataException Corrupt(string source, string problem) => SafeTensorsHeaderParser.Corrupt(source, problem);
}
