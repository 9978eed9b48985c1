using System.Text.Json;
using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Onnx;
using AutoDiffRnn.Onnx.Export;
using Onnx;

namespace AutoDiffRnn.Cli.Export;

/// <summary>
/// The char-rnn checkpoint as an ONNX model: ids [T, B] and initial_h (initial_c) [L, B, H] in, logits [T, B, V] and final_h (final_c) out,
/// so a sampler can feed the prime and then one character at a time; the vocabulary and the hyperparameters go into metadata_props.
/// </summary>
public static class CharModelOnnx
{
    /// <summary>The metadata key of the vocabulary (a JSON string of the characters, in id order).</summary>
    public const string VocabularyKey = "autodiffrnn.vocabulary";

    /// <summary>The metadata key of the model's hyperparameters (CharModelConfig as JSON).</summary>
    public const string ConfigKey = "autodiffrnn.char_model";

    /// <summary>Exports a loaded char-rnn model.</summary>
    public static ModelProto Export(CharLanguageModel model, Data.CharacterVocabulary vocabulary, DType dtype) =>
        OnnxExport.LanguageModel(model.Embedding, model.Recurrent ?? throw new NotSupportedException(
            $"ONNX export: a {model.Config.Kind} char model runs a compiled cell, which ONNX export does not take; export an rnn, lstm or gru model"),
            model.Output, new OnnxExportOptions
        {
            DType = dtype,
            InitialStateInputs = true,
            Metadata = new Dictionary<string, string>
            {
                [VocabularyKey] = vocabulary.ToJson(),
                [ConfigKey] = JsonSerializer.Serialize(model.Config),
                ["autodiffrnn.task"] = "char-rnn",
            },
        });

    /// <summary>Reads the checkpoint folder and writes the ONNX file; returns a one-line description.</summary>
    public static string ExportCheckpoint(string checkpoint, string output, DType dtype)
    {
        var (model, vocabulary, info) = Checkpoint.LoadModel(checkpoint);
        model.Eval();
        OnnxExport.Save(Export(model, vocabulary, dtype), output);
        return $"wrote {Path.GetFullPath(output)}: {info.Model.Kind} char-rnn, {info.Model.Layers} layer(s), hidden {info.Model.HiddenSize}, " +
               $"vocabulary {vocabulary.Count}, {dtype.Name()}, opset {OnnxGraphBuilder.Opset} ({new FileInfo(output).Length / 1024} KiB)";
    }
}
