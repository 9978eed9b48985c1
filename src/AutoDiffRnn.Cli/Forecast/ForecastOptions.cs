using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Forecast;

/// <summary>The options of <c>train forecast</c>; <see cref="FolderTrainingOptions.Output"/> receives forecast.png.</summary>
public sealed record ForecastOptions() : FolderTrainingOptions(hiddenSize: 32, steps: 300, output: "out/forecast")
{
    /// <summary>Past values the model reads.</summary>
    public int Window { get; init; } = 40;

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; init; } = 64;
}
