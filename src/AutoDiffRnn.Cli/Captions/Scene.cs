namespace AutoDiffRnn.Cli.Captions;

/// <summary>One shape drawn in a scene.</summary>
/// <param name="Shape">circle, square, triangle or cross.</param>
/// <param name="Colour">One of <see cref="SceneGenerator.Colours"/>.</param>
/// <param name="Large">Large (radius 6-7 pixels) or small (radius 3-4).</param>
/// <param name="Row">The quadrant row (0 top, 1 bottom).</param>
/// <param name="Column">The quadrant column (0 left, 1 right).</param>
public sealed record SceneShape(string Shape, string Colour, bool Large, int Row, int Column)
{
    /// <summary>"small red circle".</summary>
    public string Describe() => $"{(Large ? "large" : "small")} {Colour} {Shape}";
}

/// <summary>A generated 32×32 RGB scene and its caption.</summary>
/// <param name="Pixels">Channel-major RGB values in [0, 1]: 3 × 32 × 32.</param>
/// <param name="Shapes">The shapes in reading order (top row first, then left to right).</param>
/// <param name="Caption">The caption, e.g. "a small red circle above a large blue square".</param>
public sealed record Scene(float[] Pixels, SceneShape[] Shapes, string Caption)
{
    /// <summary>The caption's words.</summary>
    public string[] Words => Caption.Split(' ');
}
