using System.Buffers.Binary;
using System.Text;

namespace AutoDiffRnn.Tests.IO;

/// <summary>The ways <see cref="SafeTensorsMutator"/> damages a file.</summary>
public enum MutationKind
{
    /// <summary>The file cut short at a random byte.</summary>
    Truncation,
    /// <summary>The 8-byte header length replaced.</summary>
    HeaderLength,
    /// <summary>Random header bytes overwritten.</summary>
    HeaderBytes,
    /// <summary>JSON punctuation deleted, inserted or duplicated.</summary>
    JsonStructure,
    /// <summary>Invalid UTF-8 or a lone escaped surrogate put inside a string.</summary>
    Utf8,
    /// <summary>An entry's data_offsets replaced by another JSON value.</summary>
    Offsets,
    /// <summary>An entry's dtype replaced by another JSON value.</summary>
    DType,
    /// <summary>An entry's shape replaced by another JSON value.</summary>
    Shape,
    /// <summary>A tensor name or an entry's field repeated.</summary>
    Duplicate,
    /// <summary>The data section made longer or shorter.</summary>
    DataLength,
}

/// <summary>
/// A seeded generator of damaged safetensors files: it writes a random valid file (1-5 tensors of F32/F64/I64, ranks 0-3, some
/// empty, optional metadata, random field order and spacing) and applies one mutation of a random <see cref="MutationKind"/>.
/// </summary>
public sealed class SafeTensorsMutator(int seed)
{
    private readonly Random random = new(seed);

    private static readonly string[] OddValues =
    [
        "null", "true", "false", "\"x\"", "\"\"", "{}", "[]", "-1", "1.5", "1e3", "-0", "9223372036854775808", "2147483648",
        "4294967296", "[0]", "[[0]]", "[0,4]", "[0,0]", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I32\"", "\"f64\"", "[1,2,3]",
        "[65536,65536,65536,65536]", "[-1]", "[1.0]", "[\"1\"]", "[null]", "{\"a\":1}", "\"\\ud800\"", "[0,-4]", "[4,0]",
        "[0,9223372036854775807]", "[9223372036854775807,9223372036854775807]",
    ];

    private static readonly byte[][] BadUtf8 =
    [
        [0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        Encoding.ASCII.GetBytes("\\ud800"), Encoding.ASCII.GetBytes("\\udfff"), Encoding.ASCII.GetBytes("\\ud83d"), Encoding.ASCII.GetBytes("\\u00"),
    ];

    private sealed class Entry
    {
        public required string Name;
        public required List<(string Key, string Json)> Fields;
    }

    /// <summary>The next damaged file and the mutation applied to it.</summary>
    public (byte[] Bytes, MutationKind Kind) Next()
    {
        var kind = (MutationKind)random.Next(Enum.GetValues<MutationKind>().Length);
        var (entries, dataLength) = ValidEntries();
        if (kind == MutationKind.Offsets) Replace(entries, "data_offsets");
        else if (kind == MutationKind.DType) Replace(entries, "dtype");
        else if (kind == MutationKind.Shape) Replace(entries, "shape");
        else if (kind == MutationKind.Duplicate) Duplicate(entries);
        var header = Encoding.UTF8.GetBytes(Render(entries));
        if (kind == MutationKind.JsonStructure) header = DamageStructure(header);
        else if (kind == MutationKind.Utf8) header = DamageString(header);
        else if (kind == MutationKind.HeaderBytes)
            for (int i = random.Next(1, 5); i > 0 && header.Length > 0; i--) header[random.Next(header.Length)] = (byte)random.Next(256);
        if (kind == MutationKind.DataLength) dataLength = Math.Max(0, dataLength + random.Next(-9, 10));
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        random.NextBytes(bytes.AsSpan(8 + header.Length));
        if (kind == MutationKind.HeaderLength) BinaryPrimitives.WriteUInt64LittleEndian(bytes, HeaderLength(header.Length, bytes.Length));
        if (kind == MutationKind.Truncation) bytes = bytes[..random.Next(bytes.Length)];
        return (bytes, kind);
    }

    private (List<Entry> Entries, int DataLength) ValidEntries()
    {
        var entries = new List<Entry>();
        int count = random.Next(0, 6);
        var sizes = new int[count];
        var order = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray(); // data order differs from header order
        var dtypes = new string[count];
        var shapes = new int[count][];
        for (int i = 0; i < count; i++)
        {
            dtypes[i] = new[] { "F32", "F64", "I64" }[random.Next(3)];
            shapes[i] = Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(5)).ToArray();
            sizes[i] = shapes[i].Aggregate(1, (a, b) => a * b) * (dtypes[i] == "F32" ? 4 : 8);
        }
        var begins = new int[count];
        int offset = 0;
        foreach (int i in order) { begins[i] = offset; offset += sizes[i]; }
        for (int i = 0; i < count; i++)
        {
            var fields = new List<(string, string)>
            {
                ("dtype", $"\"{dtypes[i]}\""), ("shape", $"[{string.Join(",", shapes[i])}]"), ("data_offsets", $"[{begins[i]},{begins[i] + sizes[i]}]"),
            };
            if (random.Next(8) == 0) fields.Add(("extra", OddValues[random.Next(OddValues.Length)]));
            entries.Add(new Entry { Name = Name(i), Fields = fields.OrderBy(_ => random.Next()).ToList() });
        }
        if (random.Next(3) == 0)
            entries.Insert(random.Next(entries.Count + 1), new Entry { Name = "__metadata__", Fields = [("format", "\"pt\""), ("note", "\"é ✓ 😀\"")] });
        return (entries, offset);
    }

    private string Name(int index) => random.Next(4) switch
    {
        0 => $"layer.{index}.weight",
        1 => $"poids_é_{index}",
        2 => $"t{index}\\u00e9\\ud83d\\ude00",
        _ => $"w{index}",
    };

    private void Replace(List<Entry> entries, string key)
    {
        var tensors = entries.Where(e => e.Name != "__metadata__").ToList();
        if (tensors.Count == 0) return;
        var entry = tensors[random.Next(tensors.Count)];
        int index = entry.Fields.FindIndex(f => f.Key == key);
        string value = random.Next(3) == 0 ? $"[{random.Next(-2, 40)},{random.Next(-2, 40)}]" : OddValues[random.Next(OddValues.Length)];
        if (random.Next(10) == 0) entry.Fields.RemoveAt(index);
        else entry.Fields[index] = (key, value);
    }

    private void Duplicate(List<Entry> entries)
    {
        if (entries.Count == 0) return;
        var entry = entries[random.Next(entries.Count)];
        if (random.Next(2) == 0 || entry.Fields.Count == 0)
            entries.Insert(random.Next(entries.Count + 1), new Entry { Name = entry.Name, Fields = entry.Fields.ToList() });
        else
            entry.Fields.Insert(random.Next(entry.Fields.Count + 1), entry.Fields[random.Next(entry.Fields.Count)]);
    }

    private string Render(List<Entry> entries)
    {
        string Space() => random.Next(4) == 0 ? new string(' ', random.Next(1, 3)) : "";
        var text = new StringBuilder("{");
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0) text.Append(',').Append(Space());
            text.Append('"').Append(entries[i].Name).Append("\":").Append(Space()).Append('{');
            text.AppendJoin(",", entries[i].Fields.Select(f => $"\"{f.Key}\":{Space()}{f.Json}"));
            text.Append('}');
        }
        text.Append('}');
        return text.Append(' ', random.Next(8)).ToString();
    }

    private byte[] DamageStructure(byte[] header)
    {
        var bytes = header.ToList();
        const string punctuation = "{}[],:\"\\ 0-e.";
        for (int i = random.Next(1, 3); i > 0; i--)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(4))
            {
                case 0 when bytes.Count > 0: bytes.RemoveAt(Math.Min(at, bytes.Count - 1)); break;
                case 1: bytes.Insert(at, (byte)punctuation[random.Next(punctuation.Length)]); break;
                case 2 when bytes.Count > 0:
                    int start = random.Next(bytes.Count), length = random.Next(1, Math.Min(40, bytes.Count - start) + 1);
                    bytes.InsertRange(at, bytes.GetRange(start, length));
                    break;
                default:
                    var structural = Enumerable.Range(0, bytes.Count).Where(j => "{}[],:".Contains((char)bytes[j])).ToList();
                    if (structural.Count > 0) bytes[structural[random.Next(structural.Count)]] = (byte)punctuation[random.Next(6)];
                    break;
            }
        }
        return bytes.ToArray();
    }

    private byte[] DamageString(byte[] header)
    {
        var quotes = Enumerable.Range(0, header.Length).Where(j => header[j] == (byte)'"').ToList();
        int at = quotes.Count > 0 ? quotes[random.Next(quotes.Count)] + 1 : random.Next(header.Length + 1);
        var bad = BadUtf8[random.Next(BadUtf8.Length)];
        return [.. header.AsSpan(0, Math.Min(at, header.Length)), .. bad, .. header.AsSpan(Math.Min(at, header.Length))];
    }

    private ulong HeaderLength(int actual, int fileLength) => random.Next(6) switch
    {
        0 => 0,
        1 => (ulong)Math.Max(0, actual + random.Next(-8, 9)),
        2 => (ulong)(fileLength - 8 + random.Next(0, 3)),
        3 => (ulong)random.NextInt64(),
        4 => ulong.MaxValue - (ulong)random.Next(16),
        _ => (ulong)random.Next(fileLength),
    };
}
