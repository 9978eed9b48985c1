using System.Buffers.Binary;
using System.Text;
using AutoDiffRnn.IO;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.IO;

public class SafeTensorsTests
{
    private static byte[] File(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void WritesTheDocumentedLayout()
    {
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray(new float[] { 1, 2 }), ["a"] = Tensor.Scalar(3, DType.Float64) });
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength).TrimEnd(' ');
        Assert.Equal("{\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", header);
        Assert.Equal(3.0, BitConverter.ToDouble(bytes, 8 + headerLength));
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + headerLength + 12));
    }

    [Fact]
    public void RoundTripsEveryTypeAndIsByteIdentical()
    {
        var tensors = new Dictionary<string, Tensor> { ["w"] = Random64.Normal(1, 3, 4), ["v"] = Tensor.Normal(new Shape(5), generator: new Generator(2)) };
        var integers = new Dictionary<string, IntegerTensor> { ["ids"] = new IntegerTensor([1, -2, long.MaxValue], new Shape(3)) };
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var bytes = SafeTensors.Serialize(tensors, integers, metadata);
        var loaded = SafeTensors.Deserialize(bytes);
        TensorAssert.Close(tensors["w"], loaded.Tensors["w"], 0);
        Assert.Equal(DType.Float32, loaded.Tensors["v"].DType);
        Assert.Equal(integers["ids"].Values, loaded.Integers["ids"].Values);
        Assert.Equal("pt", loaded.Metadata["format"]);
        Assert.Equal(bytes, SafeTensors.Serialize(loaded.Tensors, loaded.Integers, loaded.Metadata));
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void LayerStateDictsRoundTripThroughFilesByteIdentically(string kind)
    {
        RecurrentLayer layer = kind switch
        {
            "lstm" => new Lstm(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(3)),
            "gru" => new Gru(3, 4, generator: new Generator(4)),
            _ => new Rnn(3, 4, numLayers: 2, relu: true, generator: new Generator(5)),
        };
        var path = Path.Combine(Path.GetTempPath(), $"adr-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, layer.StateDict());
            var first = System.IO.File.ReadAllBytes(path);
            var copy = kind == "lstm" ? new Lstm(3, 4, numLayers: 2, bidirectional: true) : kind == "gru" ? (RecurrentLayer)new Gru(3, 4) : new Rnn(3, 4, numLayers: 2, relu: true);
            copy.LoadStateDict(SafeTensors.Load(path).Tensors);
            SafeTensors.Save(path, copy.StateDict());
            Assert.Equal(first, System.IO.File.ReadAllBytes(path));
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(path)}*.tmp"));
        }
        finally { System.IO.File.Delete(path); }
    }

    public static TheoryData<byte[], string> CorruptFiles => new()
    {
        { new byte[] { 1, 2, 3 }, "too short" },
        { BitConverter.GetBytes(ulong.MaxValue), "limit" },
        { BitConverter.GetBytes(1000UL), "past the end" },
        { File("not json", 0), "not valid JSON" },
        { File("[1,2]", 0), "not a JSON object" },
        { File("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2), "unsupported dtype" },
        { File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "needs 8 bytes" },
        { File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4000000000]}}", 4), "outside" },
        { File("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "not a non-negative 32-bit integer" },
        { File("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", 4), "too many elements" },
        { File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "overlap" },
        { File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8), "cover 4 bytes" },
        { File("{\"a\":{\"dtype\":\"F32\"}}", 0), "needs dtype, shape" },
        { File("{\"__metadata__\":{\"k\":1}}", 0), "not a string" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptOrHostileInputGivesAClearError(byte[] bytes, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, "test.safetensors"));
        Assert.Contains(expected, error.Message);
        Assert.Contains("test.safetensors", error.Message);
    }
}
