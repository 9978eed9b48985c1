using System.Text;
using System.Text.Json;

namespace AutoDiffRnn.IO;

/// <summary>
/// Reads a safetensors JSON header with <see cref="Utf8JsonReader"/>, refusing anything the format does not allow: invalid UTF-8,
/// lone surrogates, wrong token types, duplicate tensor names, duplicate fields in one entry, more than
/// <see cref="MaximumEntries"/> entries. The work is linear in the header's length and nothing is allocated for an entry before the
/// entries have been counted, so no header can make the reader allocate more than a small multiple of its own size.
/// </summary>
internal static class SafeTensorsHeaderParser
{
    /// <summary>The most tensor entries (and, separately, metadata items) a header may hold.</summary>
    public const int MaximumEntries = 100_000;

    /// <summary>The most dimensions a tensor may have.</summary>
    public const int MaximumRank = 32;

    private const string MetadataKey = "__metadata__";

    private enum Field { Unknown, DType, Shape, DataOffsets }

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The entries in header order and the metadata; every problem is an <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> header, string source)
    {
        int invalid = FirstInvalidUtf8Byte(header);
        if (invalid >= 0) throw Corrupt(source, $"the header is not valid UTF-8 (byte {invalid} of the header)");
        int count = CountEntries(header, source);
        var entries = new List<SafeTensorsEntry>(count);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(count, StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, Options);
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = ReadString(ref reader, source, "a tensor name");
                if (!names.Add(name)) throw Corrupt(source, $"entry {Quote(name)} appears twice (duplicate tensor name)");
                reader.Read();
                if (name == MetadataKey) ReadMetadata(ref reader, source, metadata);
                else entries.Add(ReadEntry(ref reader, source, name));
            }
        }
        catch (JsonException error) { throw Corrupt(source, $"the header is not valid JSON ({error.Message})"); }
        return (entries, metadata);
    }

    /// <summary>A first, allocation-free pass: checks that the header is one JSON object and counts its entries against the bound.</summary>
    private static int CountEntries(ReadOnlySpan<byte> header, string source)
    {
        var reader = new Utf8JsonReader(header, Options);
        int count = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Corrupt(source, "the header is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (++count > MaximumEntries)
                    throw Corrupt(source, $"the header holds more than {MaximumEntries} entries");
                reader.Read();
                reader.Skip();
            }
            while (reader.Read()) { } // anything after the object is a JsonException
        }
        catch (JsonException error) { throw Corrupt(source, $"the header is not valid JSON ({error.Message})"); }
        return count;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string source, Dictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Corrupt(source, $"entry {MetadataKey}: expected an object of strings, found {Describe(reader.TokenType)}");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = ReadString(ref reader, source, "a key", MetadataKey);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Corrupt(source, $"entry {MetadataKey}: field {Quote(key)}: metadata '{Truncate(key)}' is not a string but {Describe(reader.TokenType)}");
            if (metadata.Count >= MaximumEntries)
                throw Corrupt(source, $"entry {MetadataKey}: more than {MaximumEntries} items");
            if (!metadata.TryAdd(key, ReadString(ref reader, source, $"field {Quote(key)}", MetadataKey)))
                throw Corrupt(source, $"entry {MetadataKey}: field {Quote(key)} appears twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(ref Utf8JsonReader reader, string source, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Corrupt(source, $"entry {Quote(name)}: expected an object with dtype, shape and data_offsets, found {Describe(reader.TokenType)}");
        string? dtype = null;
        int[]? dimensions = null;
        int elementCount = 0;
        (long Begin, long End)? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Fields are matched on the raw UTF-8 text, so the known ones allocate nothing.
            var field = Matches(ref reader, "dtype"u8, source, "a field name", name) ? Field.DType
                : Matches(ref reader, "shape"u8, source, "a field name", name) ? Field.Shape
                : Matches(ref reader, "data_offsets"u8, source, "a field name", name) ? Field.DataOffsets
                : Field.Unknown;
            if (field == Field.Unknown) ReadString(ref reader, source, "a field name", name);
            reader.Read();
            switch (field)
            {
                case Field.DType:
                    if (dtype is not null) throw Corrupt(source, $"entry {Quote(name)}: field 'dtype' appears twice");
                    if (reader.TokenType != JsonTokenType.String)
                        throw Corrupt(source, $"entry {Quote(name)}: field 'dtype': expected a string, found {Describe(reader.TokenType)}");
                    const string where = "field 'dtype'";
                    dtype = Matches(ref reader, "F32"u8, source, where, name) ? "F32"
                        : Matches(ref reader, "F64"u8, source, where, name) ? "F64"
                        : Matches(ref reader, "I64"u8, source, where, name) ? "I64"
                        : throw Corrupt(source, $"entry {Quote(name)}: field 'dtype': unsupported dtype {Quote(ReadString(ref reader, source, "field 'dtype'", name))} (F32, F64, I64 are read)");
                    break;
                case Field.Shape:
                    if (dimensions is not null) throw Corrupt(source, $"entry {Quote(name)}: field 'shape' appears twice");
                    (dimensions, elementCount) = ReadShape(ref reader, source, name);
                    break;
                case Field.DataOffsets:
                    if (offsets is not null) throw Corrupt(source, $"entry {Quote(name)}: field 'data_offsets' appears twice");
                    offsets = ReadOffsets(ref reader, source, name);
                    break;
                default:
                    reader.Skip(); // the format has no other fields; unknown ones are ignored as the reference reader does
                    break;
            }
        }
        if (dtype is null) throw Corrupt(source, $"entry {Quote(name)}: field 'dtype' is missing (an entry needs dtype, shape and data_offsets)");
        if (dimensions is null) throw Corrupt(source, $"entry {Quote(name)}: field 'shape' is missing (an entry needs dtype, shape and data_offsets)");
        if (offsets is not { } range) throw Corrupt(source, $"entry {Quote(name)}: field 'data_offsets' is missing (an entry needs dtype, shape and data_offsets)");
        return new SafeTensorsEntry(name, dtype, dimensions, elementCount, range.Begin, range.End);
    }

    private static (int[] Dimensions, int ElementCount) ReadShape(ref Utf8JsonReader reader, string source, string name)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Corrupt(source, $"entry {Quote(name)}: field 'shape': expected an array of non-negative integers, found {Describe(reader.TokenType)}");
        Span<int> buffer = stackalloc int[MaximumRank];
        int rank = 0;
        long count = 1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int size) || size < 0)
                throw Corrupt(source, $"entry {Quote(name)}: field 'shape': dimension {rank} is {Describe(ref reader)}, not a non-negative 32-bit integer");
            if (rank == MaximumRank) throw Corrupt(source, $"entry {Quote(name)}: field 'shape': more than {MaximumRank} dimensions");
            buffer[rank++] = size;
            count = Math.Min(checked(count * size), 1L + int.MaxValue); // stays below 2^62: no overflow
        }
        var dimensions = buffer[..rank].ToArray();
        if (count > int.MaxValue)
            throw Corrupt(source, $"entry {Quote(name)}: field 'shape': [{string.Join(",", dimensions)}] has too many elements (more than {int.MaxValue})");
        return (dimensions, (int)count);
    }

    private static (long Begin, long End) ReadOffsets(ref Utf8JsonReader reader, string source, string name)
    {
        const string expected = "expected [begin, end] of two non-negative integers";
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Corrupt(source, $"entry {Quote(name)}: field 'data_offsets': {expected}, found {Describe(reader.TokenType)}");
        Span<long> values = stackalloc long[2];
        int index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (index == 2) throw Corrupt(source, $"entry {Quote(name)}: field 'data_offsets': {expected}, found more than two values");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
                throw Corrupt(source, $"entry {Quote(name)}: field 'data_offsets': {expected}, found {Describe(ref reader)} at position {index}");
            values[index++] = value;
        }
        if (index != 2) throw Corrupt(source, $"entry {Quote(name)}: field 'data_offsets': {expected}, found {index} value(s)");
        return (values[0], values[1]);
    }

    /// <summary>The current string token, refusing lone surrogates and other text that cannot become a .NET string.</summary>
    private static string ReadString(ref Utf8JsonReader reader, string source, string where, string? name = null)
    {
        try { return reader.GetString()!; }
        catch (InvalidOperationException error)
        {
            string place = name is null ? where : $"entry {Quote(name)}: {where}";
            throw Corrupt(source, $"{place}: the string is not valid Unicode ({error.Message})");
        }
    }

    /// <summary>Whether the current string token is <paramref name="text"/>, without allocating; an invalid escape is refused.</summary>
    private static bool Matches(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, string source, string where, string? name)
    {
        try { return reader.ValueTextEquals(text); }
        catch (InvalidOperationException error)
        {
            string place = name is null ? where : $"entry {Quote(name)}: {where}";
            throw Corrupt(source, $"{place}: the string is not valid Unicode ({error.Message})");
        }
    }

    /// <summary>The offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1.</summary>
    private static int FirstInvalidUtf8Byte(ReadOnlySpan<byte> text)
    {
        if (System.Text.Unicode.Utf8.IsValid(text)) return -1;
        int offset = 0;
        while (offset < text.Length)
        {
            if (Rune.DecodeFromUtf8(text[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return -1;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string Describe(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number ? Truncate(Encoding.UTF8.GetString(reader.ValueSpan)) : Describe(reader.TokenType);

    /// <summary>A name or value for a message, quoted and cut to a readable length.</summary>
    internal static string Quote(string text) => $"'{Truncate(text)}'";

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + $"...({text.Length} characters)";

    internal static InvalidDataException Corrupt(string source, string problem) => new($"safetensors: {source}: {problem}");
}
