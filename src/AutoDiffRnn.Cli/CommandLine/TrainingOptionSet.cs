using System.CommandLine;

namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>
/// The options every training command shares, declared once: <c>--hidden-size</c>, <c>--steps</c>, <c>--seed</c>, <c>--metrics</c>,
/// and <c>--output</c> for a command whose options are <see cref="FolderTrainingOptions"/>; their defaults come from the command's
/// options record.
/// </summary>
internal sealed class TrainingOptionSet
{
    private readonly Option<int> hiddenSize, steps;
    private readonly Option<ulong> seed;
    private readonly Option<string?> metrics;
    private readonly Option<string>? output;

    /// <summary>The shared options with the defaults of <paramref name="defaults"/>.</summary>
    /// <param name="defaults">The command's default options.</param>
    /// <param name="hiddenSizeDescription">What <c>--hidden-size</c> sizes in this command.</param>
    /// <param name="outputDescription">What <c>--output</c> receives, for a command that writes files.</param>
    public TrainingOptionSet(TrainingOptions defaults, string hiddenSizeDescription = "hidden size", string outputDescription = "output folder")
    {
        hiddenSize = CommonOptions.HiddenSize(defaults.HiddenSize, hiddenSizeDescription);
        steps = CommonOptions.Steps(defaults.Steps);
        seed = CommonOptions.Seed(defaults.Seed);
        metrics = CommonOptions.Metrics();
        if (defaults is FolderTrainingOptions folder) output = CommonOptions.Output(folder.Output, outputDescription);
    }

    /// <summary>Adds the shared options to <paramref name="command"/> (listed after its own in the help).</summary>
    public Command AddTo(Command command)
    {
        foreach (var option in new Option?[] { hiddenSize, steps, seed, output, metrics })
            if (option is not null) command.Options.Add(option);
        return command;
    }

    /// <summary><paramref name="options"/> with the shared values parsed from the command line.</summary>
    public T Read<T>(ParseResult parse, T options) where T : TrainingOptions
    {
        TrainingOptions read = ((TrainingOptions)options) with
        {
            HiddenSize = parse.GetValue(hiddenSize), Steps = parse.GetValue(steps), Seed = parse.GetValue(seed), MetricsFile = parse.GetValue(metrics),
        };
        if (output is not null && read is FolderTrainingOptions folder) read = folder with { Output = parse.GetValue(output)! };
        return (T)read;
    }
}
