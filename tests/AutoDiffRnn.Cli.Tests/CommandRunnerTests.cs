using System.CommandLine;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Cli.CommandLine;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Tests;

/// <summary>The runner's mapping of exceptions to exit codes and one line, on a command tree built for the test.</summary>
public class CommandRunnerTests
{
    private static (int Code, string Error) Run(Func<int> action, params string[] args)
    {
        var verbose = CommonOptions.Verbose();
        var detectAnomaly = CommonOptions.DetectAnomaly();
        var job = new Command("job");
        job.SetAction(_ => action());
        var root = new RootCommand("test") { verbose };
        var train = new Command("train") { detectAnomaly };
        train.Subcommands.Add(job);
        root.Subcommands.Add(train);
        var error = new StringWriter();
        int code = CommandRunner.Run(root, ["train", "job", .. args], TextWriter.Null, error, verbose, detectAnomaly);
        return (code, error.ToString());
    }

    [Fact]
    public void DetectAnomalyTurnsAnomalyModeOnForTheCommandOnly()
    {
        bool seen = false;
        Assert.Equal(0, Run(() => { seen = Anomaly.IsEnabled; return 0; }, "--detect-anomaly").Code);
        Assert.True(seen);
        Assert.False(Anomaly.IsEnabled);
        Assert.Equal(0, Run(() => { seen = Anomaly.IsEnabled; return 0; }).Code);
        Assert.False(seen);
    }

    [Fact]
    public void AUsageExceptionIsExitCodeTwo()
    {
        var (code, error) = Run(() => throw new UsageException("--steps 2: too few"));
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Equal("autodiffrnn: error: --steps 2: too few", error.TrimEnd());
    }

    [Fact]
    public void NonFiniteGradientsSuggestDetectAnomalyUnlessItIsOn()
    {
        Func<int> fail = () => throw new NonFiniteGradientException("Adam.Step: non-finite gradients in parameter 0", ["parameter 0"]);
        var (code, error) = Run(fail);
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Equal("autodiffrnn: error: Adam.Step: non-finite gradients in parameter 0 (rerun with --detect-anomaly to find the op that produced them)", error.TrimEnd());
        Assert.DoesNotContain("rerun", Run(fail, "--detect-anomaly").Error);
    }

    [Fact]
    public void AnUnexpectedExceptionIsNamedOnOneLineAndItsStackTraceNeedsVerbose()
    {
        Func<int> fail = () => throw new NullReferenceException("Object reference not set to an instance of an object.");
        var (code, error) = Run(fail);
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Equal("autodiffrnn: error: Object reference not set to an instance of an object. (NullReferenceException; run with --verbose for the stack trace)",
            error.TrimEnd());
        var verbose = Run(fail, "--verbose");
        Assert.Equal(ExitCodes.RuntimeFailure, verbose.Code);
        Assert.Contains("System.NullReferenceException", verbose.Error);
        Assert.Contains("   at ", verbose.Error);
    }

    [Fact]
    public void AMultiLineMessageBecomesOneLine()
    {
        var (_, error) = Run(() => throw new InvalidDataException("first line\nsecond line\r\n  third"));
        Assert.Equal("autodiffrnn: error: first line second line third", error.TrimEnd());
    }
}
