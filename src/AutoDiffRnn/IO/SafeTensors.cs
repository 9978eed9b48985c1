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
            throw new InvalidDataException($"safetensors: {path} is {stream.Length} bytes, more than this reader supports");
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

    /// <summary>Parses a safetensors file's bytes; <paramref name="source"/> names it in error messages.</summary>
    public static SafeTensorsContent Deserialize(byte[] bytes, string source = "input")
    {
        InvalidDataException Corrupt(string problem) => new($"safetensors: {source}: {problem}");
        if (bytes.Length < 8) throw Corrupt($"{bytes.Length} bytes is too short for the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaximumHeaderBytes) throw Corrupt($"header length {headerLength} exceeds the {MaximumHeaderBytes}-byte limit");
        if (headerLength > (ulong)(bytes.Length - 8)) throw Corrupt($"header length {headerLength} runs past the end of the {bytes.Length}-byte file");
        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;

        JsonDocument document;
        try { document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength), new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException error) { throw Corrupt($"the header is not valid JSON ({error.Message})"); }
        using var _ = document;
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt("the header is not a JSON object");

        var tensors = new Dictionary<string, Tensor>();
        var integers = new Dictionary<string, IntegerTensor>();
        var metadata = new Dictionary<string, string>();
        var ranges = new List<(long Begin, long End, string Name)>();
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                if (entry.Value.ValueKind != JsonValueKind.Object) throw Corrupt("__metadata__ is not an object");
                foreach (var item in entry.Value.EnumerateObject())
                    metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw Corrupt($"metadata '{item.Name}' is not a string");
                continue;
            }
            var info = entry.Value;
            if (info.ValueKind != JsonValueKind.Object
                || !info.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
                || !info.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
                || !info.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
                throw Corrupt($"entry '{entry.Name}' needs dtype, shape and two data_offsets");
            string dtype = dtypeElement.GetString()!;
            int elementSize = dtype switch { "F32" => 4, "F64" => 8, "I64" => 8, _ => throw Corrupt($"entry '{entry.Name}' has unsupported dtype {dtype} (F32, F64, I64 are read)") };
            if (shapeElement.GetArrayLength() > 32) throw Corrupt($"entry '{entry.Name}' has {shapeElement.GetArrayLength()} dimensions");
            var dimensions = new List<int>();
            long count = 1;
            foreach (var size in shapeElement.EnumerateArray())
            {
                if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out int value) || value < 0)
                    throw Corrupt($"entry '{entry.Name}' has an invalid dimension {size}");
                dimensions.Add(value);
                count *= value;
                if (count > int.MaxValue) throw Corrupt($"entry '{entry.Name}' has too many elements");
            }
            if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end) || begin < 0 || end < begin || end > dataLength)
                throw Corrupt($"entry '{entry.Name}' has data_offsets outside the {dataLength}-byte data");
            if (end - begin != count * elementSize)
                throw Corrupt($"entry '{entry.Name}': shape [{string.Join(",", dimensions)}] of {dtype} needs {count * elementSize} bytes but its offsets span {end - begin}");
            ranges.Add((begin, end, entry.Name));
            var span = bytes.AsSpan(dataStart + (int)begin, (int)(end - begin));
            var shape = new Shape(dimensions.ToArray());
            if (dtype == "F32") tensors[entry.Name] = Tensor.FromArray(MemoryMarshal.Cast<byte, float>(span).ToArray(), shape);
            else if (dtype == "F64") tensors[entry.Name] = Tensor.FromArray(MemoryMarshal.Cast<byte, double>(span).ToArray(), shape);
            else integers[entry.Name] = new IntegerTensor(MemoryMarshal.Cast<byte, long>(span).ToArray(), shape);
        }
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expected = 0;
        foreach (var (begin, end, name) in ranges)
        {
            if (begin != expected) throw Corrupt($"entry '{name}' starts at byte {begin}, but the previous data ends at {expected} (overlap or gap)");
            expected = end;
        }
        if (expected != dataLength) throw Corrupt($"the entries cover {expected} bytes but the data holds {dataLength}");
        return new SafeTensorsContent(tensors, integers, metadata);
    }
}
