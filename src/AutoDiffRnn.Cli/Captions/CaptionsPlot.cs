using SkiaSharp;

namespace AutoDiffRnn.Cli.Captions;

/// <summary>One held-out scene drawn in <c>captions.png</c>.</summary>
/// <param name="Scene">The scene (its image and reference caption).</param>
/// <param name="Generated">The greedy caption.</param>
/// <param name="AttentionWord">The generated word whose attention is shown, or null.</param>
/// <param name="Attention">That word's weights over the 8×8 grid (64 values), or null without attention.</param>
public sealed record CaptionedScene(Scene Scene, string Generated, string? AttentionWord, double[]? Attention);

/// <summary>
/// <c>captions.png</c>: a grid of held-out scenes, each drawn ×4 with its reference and generated captions and, with attention, the
/// weights of one generated word over the 8×8 feature grid laid over a dimmed copy of the image (drawn with SkiaSharp, ScottPlot's renderer).
/// </summary>
public static class CaptionsPlot
{
    private const int Scale = 4, Image = SceneGenerator.Size * Scale, CellWidth = 2 * Image + 30, TextHeight = 64, CellHeight = Image + TextHeight + 20;

    /// <summary>Writes the grid of <paramref name="scenes"/> (four per row) to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyList<CaptionedScene> scenes)
    {
        if (scenes.Count == 0) throw new ArgumentException("captions plot: no scenes to draw");
        int columns = Math.Min(4, scenes.Count), rows = (scenes.Count + columns - 1) / columns;
        using var bitmap = new SKBitmap(columns * CellWidth, rows * CellHeight);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 11);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var wrong = new SKPaint { Color = SKColors.Firebrick, IsAntialias = true };
        using var fill = new SKPaint();
        for (int i = 0; i < scenes.Count; i++)
        {
            var (scene, x0, y0) = (scenes[i], i % columns * CellWidth + 10, i / columns * CellHeight + 10);
            var pixels = scene.Scene.Pixels;
            const int size = SceneGenerator.Size;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    byte Channel(int c) => (byte)(255 * pixels[(c * size + y) * size + x]);
                    fill.Color = new SKColor(Channel(0), Channel(1), Channel(2));
                    canvas.DrawRect(x0 + x * Scale, y0 + y * Scale, Scale, Scale, fill);
                    if (scene.Attention is null) continue;
                    double weight = scene.Attention[y / 4 * 8 + x / 4] / scene.Attention.Max();
                    byte grey = (byte)(40 * (Channel(0) + Channel(1) + Channel(2)) / 765);
                    fill.Color = new SKColor((byte)Math.Min(255, grey + 215 * weight), (byte)Math.Min(255, grey + 160 * weight), grey);
                    canvas.DrawRect(x0 + Image + 10 + x * Scale, y0 + y * Scale, Scale, Scale, fill);
                }
            bool right = scene.Generated == scene.Scene.Caption;
            var lines = Wrap("ref: " + scene.Scene.Caption, 44).Concat(Wrap("out: " + scene.Generated, 44)).ToList();
            if (scene.AttentionWord is not null) lines.Add($"attention for \"{scene.AttentionWord}\" (right)");
            for (int l = 0; l < lines.Count; l++)
                canvas.DrawText(lines[l], x0, y0 + Image + 14 + 12 * l, font, !right && lines[l].StartsWith("out") ? wrong : ink);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { yield return line; line = "   "; }
            line = line.Length == 0 || line == "   " ? line + word : line + " " + word;
        }
        if (line.Trim().Length > 0) yield return line;
    }
}
