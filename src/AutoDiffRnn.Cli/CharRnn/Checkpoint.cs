using System.Text.Json;
using AutoDiffRnn.Data;
using AutoDiffRnn.IO;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>What a checkpoint folder records besides the weights: everything needed to sample or to resume exactly.</summary>
public sealed record CheckpointInfo(CharModelConfig Model, string Vocabulary, CharRnnOptions Options, int Step, List<double> Losses);

/// <summary>
/// A checkpoint folder: <c>model.safetensors</c> (PyTorch names), <c>optimizer.safetensors</c> (moments, step),
/// <c>checkpoint.json</c> (hyperparameters, vocabulary, step, loss history). Every file is written atomically.
/// </summary>
public static class Checkpoint
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the checkpoint into <paramref name="folder"/>.</summary>
    public static void Save(string folder, CharLanguageModel model, Optim.Optimizer optimizer, CheckpointInfo info)
    {
        Directory.CreateDirectory(folder);
        SafeTensors.Save(Path.Combine(folder, "model.safetensors"), model.StateDict(), metadata: new Dictionary<string, string> { ["format"] = "pt" });
        SafeTensors.Save(Path.Combine(folder, "optimizer.safetensors"), optimizer.StateDict());
        var path = Path.Combine(folder, "checkpoint.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(info, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Reads the description of a checkpoint folder; a missing, unreadable or malformed checkpoint.json is an error naming it.</summary>
    public static CheckpointInfo ReadInfo(string folder)
    {
        var path = Path.Combine(folder, "checkpoint.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint in {folder}: {path} is missing", path);
        CheckpointInfo? info;
        try { info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a valid checkpoint description: {e.Message}", e); }
        catch (NotSupportedException e) { throw new InvalidDataException($"{path} is not a valid checkpoint description: {e.Message}", e); }
        if (info is null) throw new InvalidDataException($"{path} is not a valid checkpoint description: it holds null");
        string? missing = info.Model is null ? "Model" : info.Vocabulary is null ? "Vocabulary" : info.Options is null ? "Options" : info.Losses is null ? "Losses" : null;
        if (missing is not null) throw new InvalidDataException($"{path} is not a valid checkpoint description: the field '{missing}' is missing");
        if (info.Step < 0) throw new InvalidDataException($"{path} is not a valid checkpoint description: Step is {info.Step}");
        var model = info.Model!;
        string? bad = !CharLanguageModel.Kinds.Contains(model.Kind) ? $"Model.Kind is '{model.Kind}', not one of {string.Join(", ", CharLanguageModel.Kinds)}"
            : model.VocabularySize < 1 || model.EmbeddingSize < 1 || model.HiddenSize < 1 || model.Layers < 1
                ? $"Model sizes must be at least 1 (vocabulary {model.VocabularySize}, embedding {model.EmbeddingSize}, hidden {model.HiddenSize}, layers {model.Layers})"
            : !(model.Dropout >= 0 && model.Dropout < 1) ? $"Model.Dropout is {model.Dropout}, not in [0, 1)"
            : null;
        if (bad is not null) throw new InvalidDataException($"{path} is not a valid checkpoint description: {bad}");
        return info;
    }

    /// <summary>Loads the model of a checkpoint folder, with its vocabulary; an error names the file at fault.</summary>
    public static (CharLanguageModel Model, CharacterVocabulary Vocabulary, CheckpointInfo Info) LoadModel(string folder)
    {
        var info = ReadInfo(folder);
        var infoPath = Path.Combine(folder, "checkpoint.json");
        CharacterVocabulary vocabulary;
        CharLanguageModel model;
        try
        {
            vocabulary = CharacterVocabulary.FromJson(info.Vocabulary);
            model = new CharLanguageModel(info.Model, new Generator(0));
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidDataException or FormatException)
        {
            throw new InvalidDataException($"{infoPath} describes no usable model: {e.Message}", e);
        }
        if (vocabulary.Count != info.Model.VocabularySize)
            throw new InvalidDataException($"{infoPath}: the vocabulary has {vocabulary.Count} characters but the model expects {info.Model.VocabularySize}");
        var weights = Path.Combine(folder, "model.safetensors");
        Named(weights, () => model.LoadStateDict(SafeTensors.Load(weights).Tensors));
        return (model, vocabulary, info);
    }

    /// <summary>Restores the optimizer's state from a checkpoint folder; an error names optimizer.safetensors.</summary>
    public static void LoadOptimizer(string folder, Optim.Optimizer optimizer)
    {
        var path = Path.Combine(folder, "optimizer.safetensors");
        Named(path, () => optimizer.LoadStateDict(SafeTensors.Load(path).Tensors));
    }

    /// <summary>Runs <paramref name="load"/>; a failure that does not already name <paramref name="path"/> is rethrown naming it.</summary>
    private static void Named(string path, Action load)
    {
        try { load(); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or FormatException
                                      or UnauthorizedAccessException)
        {
            if (e.Message.Contains(path)) throw;
            if (e is FileNotFoundException) throw new FileNotFoundException($"{path} is missing", path, e);
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
