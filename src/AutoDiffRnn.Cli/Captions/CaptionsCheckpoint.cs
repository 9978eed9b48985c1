using System.Text.Json;
using AutoDiffRnn.IO;

namespace AutoDiffRnn.Cli.Captions;

/// <summary>A captioner checkpoint folder: <c>model.safetensors</c> (PyTorch names) and <c>captions.json</c> (options, vocabulary, step), written atomically.</summary>
public static class CaptionsCheckpoint
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>What the folder records besides the weights.</summary>
    public sealed record Info(CaptionsOptions Options, string[] Vocabulary, int Step);

    /// <summary>Writes the checkpoint into <paramref name="folder"/>.</summary>
    public static void Save(string folder, ImageCaptioner model, Info info)
    {
        Directory.CreateDirectory(folder);
        SafeTensors.Save(Path.Combine(folder, "model.safetensors"), model.StateDict(), metadata: new Dictionary<string, string> { ["format"] = "pt" });
        var path = Path.Combine(folder, "captions.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(info, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
