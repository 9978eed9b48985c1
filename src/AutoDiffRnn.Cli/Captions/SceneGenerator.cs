namespace AutoDiffRnn.Cli.Captions;

/// <summary>
/// A seeded generator of captioned scenes (no download): 32×32 RGB images of one to three shapes, each in its own quadrant with a few
/// pixels of jitter, in one of six colours and two sizes. The caption names the shapes in reading order, joined by "above" (the next
/// shape is below in the same column), "left of" (the next is to the right in the same row) or "and". A fixed set of colour–shape pairs
/// (<see cref="HeldOutPairs"/>) never appears in training scenes; every held-out scene contains at least one of them.
/// </summary>
public static class SceneGenerator
{
    /// <summary>The image side in pixels.</summary>
    public const int Size = 32;

    /// <summary>The shape names.</summary>
    public static readonly string[] Shapes = ["circle", "square", "triangle", "cross"];

    /// <summary>The colour names.</summary>
    public static readonly string[] Colours = ["red", "green", "blue", "yellow", "magenta", "cyan"];

    private static readonly float[][] Rgb = [[1, 0, 0], [0, 1, 0], [0.2f, 0.4f, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]];

    /// <summary>Colour–shape pairs held out of training: each colour and each shape still appears in training with other partners.</summary>
    public static readonly (string Colour, string Shape)[] HeldOutPairs = [("red", "square"), ("green", "triangle"), ("blue", "cross"), ("yellow", "circle")];

    /// <summary>Every word a caption can use.</summary>
    public static IEnumerable<string> Words => ["a", "small", "large", .. Colours, .. Shapes, "above", "left", "of", "and"];

    /// <summary>Whether a colour–shape pair is held out of training.</summary>
    public static bool IsHeldOut(string colour, string shape) => HeldOutPairs.Contains((colour, shape));

    /// <summary>A scene for training (no held-out pair) or for the held-out test (at least one held-out pair), from the generator's stream.</summary>
    public static Scene Next(Generator random, bool heldOut)
    {
        int count = 1 + random.NextInt(3);
        var quadrants = Enumerable.Range(0, 4).OrderBy(_ => random.NextDouble()).Take(count).Order().ToArray();
        int mustHoldOut = heldOut ? random.NextInt(count) : -1;
        var shapes = new SceneShape[count];
        for (int i = 0; i < count; i++)
        {
            string colour, shape;
            if (i == mustHoldOut)
                (colour, shape) = HeldOutPairs[random.NextInt(HeldOutPairs.Length)];
            else
                do { colour = Colours[random.NextInt(Colours.Length)]; shape = Shapes[random.NextInt(Shapes.Length)]; }
                while (!heldOut && IsHeldOut(colour, shape));
            shapes[i] = new SceneShape(shape, colour, random.NextInt(2) == 1, quadrants[i] / 2, quadrants[i] % 2);
        }
        var pixels = new float[3 * Size * Size];
        foreach (var shape in shapes) Draw(pixels, shape, random);
        return new Scene(pixels, shapes, Caption(shapes));
    }

    /// <summary>The caption of shapes given in reading order.</summary>
    public static string Caption(IReadOnlyList<SceneShape> shapes)
    {
        var words = new List<string> { "a", shapes[0].Describe() };
        for (int i = 1; i < shapes.Count; i++)
        {
            var (previous, next) = (shapes[i - 1], shapes[i]);
            words.Add(next.Column == previous.Column && next.Row > previous.Row ? "above" : next.Row == previous.Row ? "left of" : "and");
            words.Add("a");
            words.Add(next.Describe());
        }
        return string.Join(" ", words);
    }

    private static void Draw(float[] pixels, SceneShape shape, Generator random)
    {
        int radius = shape.Large ? 6 + random.NextInt(2) : 3 + random.NextInt(2);
        int slack = 16 - 2 * radius - 1;                                   // the shape stays inside its 16×16 quadrant
        int centerX = shape.Column * 16 + radius + random.NextInt(slack + 1);
        int centerY = shape.Row * 16 + radius + random.NextInt(slack + 1);
        var colour = Rgb[Array.IndexOf(Colours, shape.Colour)];
        for (int y = centerY - radius; y <= centerY + radius; y++)
            for (int x = centerX - radius; x <= centerX + radius; x++)
            {
                int dx = x - centerX, dy = y - centerY;
                bool inside = shape.Shape switch
                {
                    "circle" => dx * dx + dy * dy <= radius * radius + radius / 2,
                    "square" => true,
                    "triangle" => dy >= 2 * Math.Abs(dx) - radius,                      // apex at the top, base at the bottom
                    _ => Math.Abs(dx) <= radius / 3 || Math.Abs(dy) <= radius / 3,     // cross
                };
                if (!inside || x < 0 || y < 0 || x >= Size || y >= Size) continue;
                for (int c = 0; c < 3; c++) pixels[(c * Size + y) * Size + x] = colour[c];
            }
    }
}
