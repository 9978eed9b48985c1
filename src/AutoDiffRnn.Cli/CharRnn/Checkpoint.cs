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

    /// <summary>Reads the description of a checkpoint folder.</summary>
    public static CheckpointInfo ReadInfo(string folder)
    {
        var path = Path.Combine(folder, "checkpoint.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint in {folder}: {path} is missing");
        return JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>Loads the model of a checkpoint folder, with its vocabulary.</summary>
    public static (CharLanguageModel Model, CharacterVocabulary Vocabulary, CheckpointInfo Info) LoadModel(string folder)
    {
        var info = ReadInfo(folder);
        var model = new CharLanguageModel(info.Model, new Generator(0));
        model.LoadStateDict(SafeTensors.Load(Path.Combine(folder, "model.safetensors")).Tensors);
        return (model, CharacterVocabulary.FromJson(info.Vocabulary), info);
    }

    /// <summary>Restores the optimizer's state from a checkpoint folder.</summary>
    public static void LoadOptimizer(string folder, Optim.Optimizer optimizer) =>
        optimizer.LoadStateDict(SafeTensors.Load(Path.Combine(folder, "optimizer.safetensors")).Tensors);
}
