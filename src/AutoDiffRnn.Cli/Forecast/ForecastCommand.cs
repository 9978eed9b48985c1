using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Forecast;

/// <summary>The command <c>train forecast</c>: trains the LSTM forecaster and compares it with the naive last-value forecast.</summary>
internal static class ForecastCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new ForecastOptions();
        var window = CommonOptions.Int("--window", "past values the model reads", defaults.Window).AtLeast(1)
            .AtMost(ForecastTask.MaximumWindow, $"the series has {ForecastTask.SeriesLength} values");
        var shared = new TrainingOptionSet(defaults, outputDescription: "output folder (forecast.png)");
        var command = shared.AddTo(new Command("forecast", "Many-to-one regression on a noisy sum of sines, against the naive last-value forecast.") { window });
        command.SetAction(parse =>
        {
            var options = shared.Read(parse, defaults with { Window = parse.GetValue(window) });
            var result = ForecastTask.Run(options, parse.InvocationConfiguration.Output);
            parse.InvocationConfiguration.Output.WriteLine(
                $"validation MSE {result.ValidationMse:F5}, naive last-value MSE {result.NaiveMse:F5} " +
                $"({result.NaiveMse / result.ValidationMse:F1}x better), {result.Seconds:F1} s; forecast.png in {Path.GetFullPath(options.Output)}");
            return ExitCodes.Success;
        });
        return command;
    }
}
