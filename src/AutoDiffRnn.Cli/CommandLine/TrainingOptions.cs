using System.Text.Json;

namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>
/// What every training command is told, whatever it trains: the hidden size, the optimizer steps, the random seed and the metrics file
/// (the options <see cref="TrainingOptionSet"/> declares once for all of them). Each command's options record derives from it and sets
/// its own defaults.
/// </summary>
public abstract record TrainingOptions
{
    /// <summary>Sets the defaults of a command.</summary>
    protected TrainingOptions(int hiddenSize, int steps)
    {
        HiddenSize = hiddenSize;
        Steps = steps;
    }

    /// <summary>The hidden size of the command's recurrent network (its <c>--hidden-size</c> help says of which part).</summary>
    public int HiddenSize { get; init; }

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; }

    /// <summary>Random seed (weights, batches, samples).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Where to write the metrics JSON, or null.</summary>
    public string? MetricsFile { get; init; }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="metrics"/> as indented JSON to <see cref="MetricsFile"/> (creating its folder), when one was given.</summary>
    public void WriteMetrics<TMetrics>(TMetrics metrics)
    {
        if (MetricsFile is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(MetricsFile))!);
        File.WriteAllText(MetricsFile, JsonSerializer.Serialize(metrics, IndentedJson));
    }
}

/// <summary>The options of a training command that also writes files (a checkpoint, plots) into an output folder.</summary>
public abstract record FolderTrainingOptions : TrainingOptions
{
    /// <summary>Sets the defaults of a command.</summary>
    protected FolderTrainingOptions(int hiddenSize, int steps, string output) : base(hiddenSize, steps) => Output = output;

    /// <summary>The output folder.</summary>
    public string Output { get; init; }
}
