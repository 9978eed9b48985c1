using System.CommandLine;
using AutoDiffRnn.Cli.Captions;
using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Cli.Classify;
using AutoDiffRnn.Cli.CommandLine;
using AutoDiffRnn.Cli.Export;
using AutoDiffRnn.Cli.Forecast;
using AutoDiffRnn.Cli.Sample;
using AutoDiffRnn.Cli.Seq2Seq;
using AutoDiffRnn.Cli.Spell;
using AutoDiffRnn.Cli.Tagger;
using AutoDiffRnn.Cli.Verify;

namespace AutoDiffRnn.Cli;

/// <summary>
/// The command-line program <c>autodiffrnn</c>: only the wiring of the command tree. Each command (its options, checks and run) lives in
/// the folder of its task; the shared options are declared once in <see cref="CommonOptions"/> and <see cref="TrainingOptionSet"/>;
/// <see cref="CommandRunner"/> turns failures into exit codes and one line on stderr.
/// </summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the command; see <see cref="ExitCodes"/>.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs a command line with the given output and error writers (what <see cref="Main"/> does with the console).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var verbose = CommonOptions.Verbose();
        var detectAnomaly = CommonOptions.DetectAnomaly();
        var train = new Command("train", "Train a model.")
        {
            detectAnomaly,
            CharRnnCommand.Create(),
            ClassifyCommand.Create(),
            ForecastCommand.Create(),
            Seq2SeqCommand.Create(),
            TaggerCommand.Create(),
            SpellCommand.Create(),
            CaptionsCommand.Create(),
        };
        var root = new RootCommand("AutoDiffRnn: train and sample recurrent neural networks.")
        {
            verbose,
            train,
            SampleCommand.Create(),
            ExportCommand.Create(),
            VerifyCommand.Create(verbose),
        };
        return CommandRunner.Run(root, args, output, error, verbose, detectAnomaly);
    }
}
