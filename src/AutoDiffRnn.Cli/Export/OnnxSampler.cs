using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Data;
using AutoDiffRnn.Onnx.Runtime;

namespace AutoDiffRnn.Cli.Export;

/// <summary>
/// Generates text from an exported char-rnn model with ONNX Runtime, the same way <see cref="Sampler"/> does from a checkpoint: feed the
/// prime, then one character at a time carrying the recurrent state; the same choice of character (argmax at temperature 0).
/// </summary>
public static class OnnxSampler
{
    /// <summary>Samples <paramref name="length"/> characters after <paramref name="prime"/> from the model in <paramref name="path"/>.</summary>
    public static string Sample(string path, string prime, int length, double temperature, Generator generator)
    {
        if (prime.Length == 0) throw new ArgumentException("sample: the prime text must not be empty");
        if (temperature < 0) throw new ArgumentOutOfRangeException(nameof(temperature), $"sample: temperature must be >= 0, got {temperature}");
        RefuseFloat64(path);
        using var session = new OnnxRuntimeSession(path);
        if (!session.Metadata.TryGetValue(CharModelOnnx.VocabularyKey, out var vocabularyJson)
            || !session.Metadata.TryGetValue(CharModelOnnx.ConfigKey, out var configJson))
            throw new InvalidDataException($"sample: {path} is not a char-rnn model written by 'export onnx' (no {CharModelOnnx.VocabularyKey} in its metadata)");
        var vocabulary = CharacterVocabulary.FromJson(vocabularyJson);
        var config = System.Text.Json.JsonSerializer.Deserialize<CharModelConfig>(configJson)!;
        bool lstm = config.Kind == "lstm";
        var dtype = DType.Float32;
        var hidden = Tensor.Zeros(new Shape(config.Layers, 1, config.HiddenSize), dtype);
        var cell = Tensor.Zeros(new Shape(config.Layers, 1, config.HiddenSize), dtype);

        Tensor Step(int[] ids)
        {
            var inputs = new Dictionary<string, object>
            {
                ["ids"] = (ids.Select(id => (long)id).ToArray(), new[] { ids.Length, 1 }),
                ["initial_h"] = hidden,
            };
            if (lstm) inputs["initial_c"] = cell;
            var outputs = session.Run(inputs);
            hidden = outputs["final_h"];
            if (lstm) cell = outputs["final_c"];
            var logits = outputs["logits"];
            return logits.Select(0, ids.Length - 1).Select(0, 0);
        }

        var last = Step(vocabulary.Encode(prime));
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < length; i++)
        {
            int next = Sampler.Choose(last, temperature, generator);
            text.Append(vocabulary.Characters[next]);
            last = Step([next]);
        }
        return text.ToString();
    }

    /// <summary>
    /// ONNX Runtime's CPU provider has no float64 RNN/LSTM/GRU kernels: a float64 export (for runtimes that have them) is refused here with
    /// that reason, instead of ONNX Runtime's "could not find an implementation" message.
    /// </summary>
    private static void RefuseFloat64(string path)
    {
        global::Onnx.ModelProto model;
        try { model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException($"{path} is not an ONNX model ({e.Message})"); }
        if (model.MetadataProps.Any(p => p.Key == "autodiffrnn.dtype" && p.Value == "float64"))
            throw new NotSupportedException($"{path} is a float64 export, and ONNX Runtime's CPU provider has no float64 LSTM/GRU/RNN kernels: " +
                "export with --dtype float32 to sample with --onnx");
    }
}
