using System.CommandLine;

namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>The options several commands share, declared once: the global ones, and factories for the per-command ones with their checks.</summary>
public static class CommonOptions
{
    /// <summary><c>--verbose</c>, for the root (it applies to every command): more output, and the stack trace of a failure.</summary>
    public static Option<bool> Verbose() => new("--verbose")
    {
        Description = "print more detail, and the full stack trace if the command fails",
        Recursive = true,
    };

    /// <summary><c>--detect-anomaly</c>, for <c>train</c> (it applies to every training command): anomaly mode, the first NaN or infinity stops the run, naming the op.</summary>
    public static Option<bool> DetectAnomaly() => new("--detect-anomaly")
    {
        Description = "check every op's output and every gradient for NaN/Inf and stop at the first one, naming the op and where it was recorded (slower)",
        Recursive = true,
    };

    /// <summary><c>--steps</c>: optimizer steps, at least 1.</summary>
    public static Option<int> Steps(int defaultValue) => Int("--steps", "optimizer steps", defaultValue).AtLeast(1);

    /// <summary><c>--hidden-size</c>, at least 1.</summary>
    public static Option<int> HiddenSize(int defaultValue, string description = "hidden size") => Int("--hidden-size", description, defaultValue).AtLeast(1);

    /// <summary><c>--embedding-size</c>, at least 1.</summary>
    public static Option<int> EmbeddingSize(int defaultValue, string description = "embedding size") => Int("--embedding-size", description, defaultValue).AtLeast(1);

    /// <summary><c>--batch-size</c>, at least 1.</summary>
    public static Option<int> BatchSize(int defaultValue, string description = "examples per batch") => Int("--batch-size", description, defaultValue).AtLeast(1);

    /// <summary><c>--learning-rate</c>: positive and finite.</summary>
    public static Option<double> LearningRate(double defaultValue, string description = "learning rate") =>
        new Option<double>("--learning-rate") { Description = description, DefaultValueFactory = _ => defaultValue }.PositiveAndFinite();

    /// <summary><c>--beam-width</c>, at least 1.</summary>
    public static Option<int> BeamWidth(int defaultValue) => Int("--beam-width", "beam width of the beam-search evaluation", defaultValue).AtLeast(1);

    /// <summary><c>--seed</c>: the random seed.</summary>
    public static Option<ulong> Seed(ulong defaultValue) => new("--seed") { Description = "random seed", DefaultValueFactory = _ => defaultValue };

    /// <summary><c>--metrics</c>: a JSON file to write (not a folder; its folder is created).</summary>
    public static Option<string?> Metrics() => new Option<string?>("--metrics") { Description = "write metrics JSON to this file" }.WritableFile();

    /// <summary><c>--output</c>: a folder to write into (created if missing; must not be a file).</summary>
    public static Option<string> Output(string defaultValue, string description = "output folder") =>
        new Option<string>("--output") { Description = description, DefaultValueFactory = _ => defaultValue }.WritableFolder();

    /// <summary>An integer option with a default.</summary>
    public static Option<int> Int(string name, string description, int defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };
}
