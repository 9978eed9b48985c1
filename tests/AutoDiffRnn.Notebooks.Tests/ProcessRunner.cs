using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace AutoDiffRnn.Notebooks;

/// <summary>The exit code and the merged standard output and error of a finished process (ANSI colours stripped).</summary>
public sealed record ProcessResult(int ExitCode, string Output)
{
    /// <summary>The last <paramref name="count"/> lines of the output, for failure messages.</summary>
    public string Tail(int count = 30) => string.Join("\n", Output.TrimEnd().Split('\n').TakeLast(count));
}

/// <summary>Runs a command to completion, with a time limit.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>; kills it after <paramref name="timeout"/>.
    /// <paramref name="environment"/> sets variables (a null value removes one).
    /// </summary>
    public static ProcessResult Run(string file, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
                                    IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) start.Environment.Remove(name); else start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalMinutes:F0} min:\n{output}");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, Regex.Replace(output.ToString(), @"\x1B\[[0-9;?]*[ -/]*[@-~]", ""));
    }
}
