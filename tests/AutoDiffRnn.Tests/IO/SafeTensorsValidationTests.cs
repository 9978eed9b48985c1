using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using AutoDiffRnn.IO;
using Xunit.Abstractions;

namespace AutoDiffRnn.Tests.IO;

/// <summary>Each malformed header the issue found (and its neighbours) is refused with an InvalidDataException naming the file, entry and field.</summary>
public class SafeTensorsValidationTests(ITestOutputHelper output)
{
    private const string Source = "bad.safetensors";

    private static byte[] FileOf(byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] FileOf(string header, int dataBytes) => FileOf(Encoding.UTF8.GetBytes(header), dataBytes);

    private static string Entry(string name, string dtype = "\"F32\"", string shape = "[1]", string offsets = "[0,4]") =>
        $"\"{name}\":{{\"dtype\":{dtype},\"shape\":{shape},\"data_offsets\":{offsets}}}";

    private static InvalidDataException Refused(byte[] bytes)
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, Source));
        Assert.StartsWith($"safetensors: {Source}: ", error.Message);
        return error;
    }

    public static TheoryData<string, int, string[]> MalformedHeaders => new()
    {
        // wrong token types in data_offsets (the InvalidOperationException cases)
        { "{" + Entry("w", offsets: "[\"0\",4]") + "}", 4, ["entry 'w'", "'data_offsets'", "a string"] },
        { "{" + Entry("w", offsets: "[null,4]") + "}", 4, ["entry 'w'", "'data_offsets'", "null"] },
        { "{" + Entry("w", offsets: "[0,true]") + "}", 4, ["entry 'w'", "'data_offsets'", "a boolean"] },
        { "{" + Entry("w", offsets: "[{},4]") + "}", 4, ["entry 'w'", "'data_offsets'", "an object"] },
        { "{" + Entry("w", offsets: "{\"a\":0}") + "}", 4, ["entry 'w'", "'data_offsets'", "an object"] },
        { "{" + Entry("w", offsets: "[0,4,8]") + "}", 4, ["entry 'w'", "'data_offsets'", "more than two"] },
        { "{" + Entry("w", offsets: "[4]") + "}", 4, ["entry 'w'", "'data_offsets'", "1 value"] },
        { "{" + Entry("w", offsets: "[-4,0]") + "}", 4, ["entry 'w'", "'data_offsets'", "-4"] },
        { "{" + Entry("w", offsets: "[0,4.5]") + "}", 4, ["entry 'w'", "'data_offsets'", "4.5"] },
        { "{" + Entry("w", offsets: "[0,99999999999999999999]") + "}", 4, ["entry 'w'", "'data_offsets'", "99999999999999999999"] },
        { "{" + Entry("w", offsets: "[4,0]") + "}", 4, ["entry 'w'", "'data_offsets'", "outside"] },
        { "{" + Entry("w", offsets: "[9223372036854775800,9223372036854775807]") + "}", 4, ["entry 'w'", "'data_offsets'", "outside"] },
        // wrong token types in shape and dtype
        { "{" + Entry("w", shape: "\"1\"") + "}", 4, ["entry 'w'", "'shape'", "a string"] },
        { "{" + Entry("w", shape: "[[1]]") + "}", 4, ["entry 'w'", "'shape'", "dimension 0"] },
        { "{" + Entry("w", shape: "[1,null]") + "}", 4, ["entry 'w'", "'shape'", "dimension 1 is null"] },
        { "{" + Entry("w", shape: "[2147483648]") + "}", 4, ["entry 'w'", "'shape'", "2147483648"] },
        { "{" + Entry("w", shape: "[65536,65536,65536,65536]") + "}", 4, ["entry 'w'", "'shape'", "too many elements"] },
        { "{" + Entry("w", shape: "[" + string.Join(",", Enumerable.Repeat(1, 33)) + "]") + "}", 4, ["entry 'w'", "'shape'", "more than 32 dimensions"] },
        { "{" + Entry("w", dtype: "4") + "}", 4, ["entry 'w'", "'dtype'", "a number"] },
        { "{" + Entry("w", dtype: "[\"F32\"]") + "}", 4, ["entry 'w'", "'dtype'", "an array"] },
        { "{" + Entry("w", dtype: "\"f32\"") + "}", 4, ["entry 'w'", "'dtype'", "unsupported dtype 'f32'"] },
        { "{\"w\":[1,2]}", 0, ["entry 'w'", "expected an object"] },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, ["entry 'w'", "'data_offsets' is missing"] },
        { "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, ["entry 'w'", "'dtype' is missing"] },
        // duplicates
        { "{" + Entry("w") + "," + Entry("w", offsets: "[4,8]") + "}", 8, ["entry 'w' appears twice"] },
        { "{\"w\":{\"dtype\":\"F64\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, ["entry 'w'", "'dtype' appears twice"] },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[1],\"data_offsets\":[0,4]}}", 4, ["entry 'w'", "'shape' appears twice"] },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"data_offsets\":[0,4]}}", 4, ["entry 'w'", "'data_offsets' appears twice"] },
        { "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, ["__metadata__", "'k' appears twice"] },
        { "{\"__metadata__\":{},\"__metadata__\":{}}", 0, ["__metadata__", "appears twice"] },
        { "{\"__metadata__\":[\"a\"]}", 0, ["__metadata__", "an array"] },
        // lone escaped surrogates in a name, a dtype, metadata
        { "{" + Entry("w\\ud800") + "}", 4, ["tensor name", "not valid Unicode"] },
        { "{" + Entry("w", dtype: "\"F32\\udc00\"") + "}", 4, ["entry 'w'", "'dtype'", "not valid Unicode"] },
        { "{\"__metadata__\":{\"k\":\"\\ud800x\"}}", 0, ["__metadata__", "'k'", "not valid Unicode"] },
        { "{\"__metadata__\":{\"\\udfff\":\"v\"}}", 0, ["__metadata__", "not valid Unicode"] },
        // tiling of the data section
        { "{" + Entry("a") + "," + Entry("b", offsets: "[8,12]") + "}", 12, ["entry 'b'", "'data_offsets'", "gap"] },
        { "{" + Entry("a", shape: "[2]", offsets: "[0,8]") + "," + Entry("b", offsets: "[4,8]") + "}", 8, ["'data_offsets'", "overlap"] },
        // JSON structure
        { "{" + Entry("w") + "} x", 4, ["not valid JSON"] },
        { "{" + Entry("w") + ",}", 4, ["not valid JSON"] },
        { "{" + Entry("w") + "}{}", 4, ["not valid JSON"] },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, ["not valid JSON"] },
        { "{/*c*/" + Entry("w") + "}", 4, ["not valid JSON"] },
        { "\"w\"", 0, ["not a JSON object"] },
        { "", 0, ["JSON"] },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void MalformedHeaderNamesTheEntryAndField(string header, int dataBytes, string[] expected)
    {
        var error = Refused(FileOf(header, dataBytes));
        foreach (var part in expected) Assert.Contains(part, error.Message);
    }

    public static TheoryData<byte[]> InvalidUtf8 => new()
    {
        { [0xFF] },
        { [0xC0, 0x80] },
        { [0xED, 0xA0, 0x80] },
        { [0xE2, 0x82] },
        { [0x80] },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void InvalidUtf8InANameADtypeOrMetadataIsRefused(byte[] invalid)
    {
        foreach (var place in new[] { "name", "dtype", "metadata" })
        {
            var prefix = place switch
            {
                "name" => "{\"w", "dtype" => "{\"w\":{\"dtype\":\"F32", _ => "{\"__metadata__\":{\"k\":\"v",
            };
            var suffix = place switch
            {
                "name" => "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                "dtype" => "\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                _ => "\"}}",
            };
            var header = Encoding.UTF8.GetBytes(prefix).Concat(invalid).Concat(Encoding.UTF8.GetBytes(suffix)).ToArray();
            var error = Refused(FileOf(header, place == "metadata" ? 0 : 4));
            Assert.Contains("not valid UTF-8", error.Message);
            Assert.Contains($"byte {prefix.Length}", error.Message);
        }
    }

    [Fact]
    public void ValidNonAsciiNamesAndEscapedSurrogatePairsLoad()
    {
        var header = "{" + Entry("poids_é_\\ud83d\\ude00") + ",\"__metadata__\":{\"note\":\"ñ\"}}";
        var content = SafeTensors.Deserialize(FileOf(header, 4), Source);
        Assert.Equal(new Shape(1), content.Tensors["poids_é_😀"].Shape);
        Assert.Equal("ñ", content.Metadata["note"]);
    }

    [Fact]
    public void EmptyTensorsAndAnEmptyHeaderLoad()
    {
        var content = SafeTensors.Deserialize(FileOf("{" + Entry("e", shape: "[0,3]", offsets: "[0,0]") + "," + Entry("s", shape: "[]", offsets: "[0,4]") + "}   ", 4), Source);
        Assert.Equal(new Shape(0, 3), content.Tensors["e"].Shape);
        Assert.Equal(Shape.Scalar, content.Tensors["s"].Shape);
        Assert.Empty(SafeTensors.Deserialize(FileOf("{}", 0), Source).Tensors);
    }

    [Fact]
    public void TooManyEntriesAreRefusedBeforeAnyEntryIsAllocated()
    {
        // The hostile file: 1,000,000 empty tensors in a 59 MB header (it allocated 955 MB and took 5 s).
        const int count = 1_000_000;
        var header = new StringBuilder("{");
        for (int i = 0; i < count; i++)
        {
            if (i > 0) header.Append(',');
            header.Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        var bytes = FileOf(header.Append('}').ToString(), 0);
        Assert.InRange(bytes.Length, 50_000_000, SafeTensors.MaximumHeaderBytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var error = Refused(bytes);
        watch.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"1,000,000 empty tensors: {bytes.Length}-byte file refused in {watch.Elapsed.TotalMilliseconds:F0} ms, {allocated} bytes allocated");
        Assert.Contains("more than 100000 entries", error.Message);
        Assert.True(allocated < 1_000_000, $"refusing the header allocated {allocated} bytes");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"refusing the header took {watch.Elapsed}");
    }

    [Fact]
    public void TheLargestAcceptedEntryCountAllocatesASmallMultipleOfTheFile()
    {
        const int count = 100_000;
        var header = new StringBuilder("{");
        for (int i = 0; i < count; i++)
        {
            if (i > 0) header.Append(',');
            header.Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        var bytes = FileOf(header.Append('}').ToString(), 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var content = SafeTensors.Deserialize(bytes, Source);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{count} empty tensors: {bytes.Length}-byte file, {allocated} bytes allocated ({(double)allocated / bytes.Length:F2} x)");
        Assert.Equal(count, content.Tensors.Count);
        Assert.True(allocated < 8L * bytes.Length, $"{count} empty tensors from a {bytes.Length}-byte file allocated {allocated} bytes");
    }

    [Fact]
    public void AFileTooLargeOrMissingDataIsNamedByPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"adr-{Guid.NewGuid():N}.safetensors");
        try
        {
            System.IO.File.WriteAllBytes(path, FileOf("{" + Entry("w") + "}", 2));
            var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            Assert.StartsWith($"safetensors: {path}: ", error.Message);
            Assert.Contains("entry 'w'", error.Message);
        }
        finally { System.IO.File.Delete(path); }
    }
}
