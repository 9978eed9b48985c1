using System.CommandLine;
using System.Text.RegularExpressions;
using AutoDiffRnn.Cli.Captions;
using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Cli.Classify;
using AutoDiffRnn.Cli.CommandLine;
using AutoDiffRnn.Cli.Forecast;
using AutoDiffRnn.Cli.Seq2Seq;
using AutoDiffRnn.Cli.Spell;
using AutoDiffRnn.Cli.Tagger;

namespace AutoDiffRnn.Cli.Tests;

/// <summary>
/// The options every training command shares, declared once (<see cref="TrainingOptionSet"/>): each command's help lists them once
/// with its record's defaults, <c>--output</c> only where the command writes files, and the parsed values reach the options record.
/// </summary>
public sealed class SharedTrainingOptionsTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-shared-options-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    public static TheoryData<string, TrainingOptions> Commands() => new()
    {
        { "char-rnn", new CharRnnOptions() }, { "classify", new ClassifyOptions() }, { "forecast", new ForecastOptions() },
        { "seq2seq", new Seq2SeqOptions() }, { "tagger", new TaggerOptions() }, { "spell", new SpellOptions() },
        { "captions", new CaptionsOptions() },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void HelpListsTheSharedOptionsOnceWithTheRecordsDefaults(string command, TrainingOptions defaults)
    {
        var run = CliRun.Of("train", command, "--help");
        Assert.Equal(0, run.ExitCode);
        string DefaultOf(string option)
        {
            var lines = run.Output.Split('\n').Where(line => Regex.IsMatch(line, $@"^\s+{option} ")).ToArray();
            Assert.True(lines.Length == 1, $"train {command} --help lists {option} {lines.Length} times:\n{run.Output}");
            var match = Regex.Match(lines[0], @"\[default: ([^\]]+)\]");
            return match.Success ? match.Groups[1].Value : "";
        }
        Assert.Equal(defaults.HiddenSize.ToString(), DefaultOf("--hidden-size"));
        Assert.Equal(defaults.Steps.ToString(), DefaultOf("--steps"));
        Assert.Equal(defaults.Seed.ToString(), DefaultOf("--seed"));
        Assert.Equal("", DefaultOf("--metrics"));
        if (defaults is FolderTrainingOptions writesFiles) Assert.Equal(writesFiles.Output, DefaultOf("--output"));
        else Assert.DoesNotMatch(@"(?m)^\s+--output ", run.Output);
    }

    [Fact]
    public void ParsedValuesReachTheRecordAndTheOtherFieldsKeepTheirs()
    {
        var defaults = new ForecastOptions { Window = 12, BatchSize = 5 };
        var shared = new TrainingOptionSet(defaults);
        var command = shared.AddTo(new Command("forecast"));
        var parse = command.Parse(["--steps", "7", "--seed", "9", "--hidden-size", "5", "--metrics", "m.json", "--output", "plots"]);
        Assert.Empty(parse.Errors);
        var read = shared.Read(parse, defaults);
        Assert.Equal(defaults with { Steps = 7, Seed = 9, HiddenSize = 5, MetricsFile = "m.json", Output = "plots" }, read);
        Assert.Equal(defaults, shared.Read(command.Parse([]), defaults));
    }

    [Fact]
    public void MetricsAreWrittenOnlyWhenAFileIsGivenAndTheirFolderIsCreated()
    {
        var metricsFile = Path.Combine(folder, "nested", "metrics.json");
        new ClassifyOptions().WriteMetrics(new { Accuracy = 0.5 });
        Assert.False(Directory.Exists(folder));
        new ClassifyOptions { MetricsFile = metricsFile }.WriteMetrics(new { Accuracy = 0.5 });
        Assert.Equal("{\n  \"Accuracy\": 0.5\n}", File.ReadAllText(metricsFile).ReplaceLineEndings("\n"));
    }
}
