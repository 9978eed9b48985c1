namespace AutoDiffRnn.Cli.Tests;

/// <summary>One run of the program in process, with its exit code and what it wrote.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static CliRun Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts the run failed with <paramref name="exitCode"/> and one error line (no stack trace) containing every fragment.</summary>
    public void AssertFails(int exitCode, params string[] fragments)
    {
        Assert.True(exitCode == ExitCode, $"exit code {ExitCode}, expected {exitCode}; stderr: {Error}");
        var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{Error}");
        Assert.StartsWith("autodiffrnn: error: ", lines[0]);
        Assert.DoesNotContain("   at ", Error);
        Assert.DoesNotContain("Unhandled exception", Error);
        foreach (var fragment in fragments) Assert.Contains(fragment, lines[0]);
    }
}
