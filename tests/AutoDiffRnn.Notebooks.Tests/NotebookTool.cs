using System.Xml.Linq;

namespace AutoDiffRnn.Notebooks;

/// <summary>One cell's result in a TRX file written by dotnet-repl: its 1-based number, outcome and error message.</summary>
public sealed record CellResult(int Number, string Name, bool Passed, string Message, string Output);

/// <summary>
/// Drives <c>build/notebooks.cs</c>, the one place that packs the packages and runs notebooks in the real kernel (dotnet-repl): the
/// suite packs once (from the build it was built with) and runs every notebook once, then each test reads its cell from the TRX files.
/// </summary>
public static class NotebookTool
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10), RunTimeout = TimeSpan.FromMinutes(25);
    private static readonly Lazy<ProcessResult> pack = new(() => Invoke(["pack", "--no-build", "--configuration", RepositoryPaths.Configuration], PackTimeout));
    private static readonly Lazy<(ProcessResult Run, string Results)> run = new(() =>
    {
        Packed();
        string results = RepositoryPaths.Scratch("trx");
        return (Invoke(["run", "--no-pack", "--results", results], RunTimeout), results);
    });

    /// <summary>Packs the three packages into notebooks/packages (once per test run); fails with the tool's output if packing failed.</summary>
    public static void Packed()
    {
        var result = pack.Value;
        if (result.ExitCode != 0) throw new Xunit.Sdk.XunitException($"build/notebooks.cs pack failed (exit {result.ExitCode}):\n{result.Tail()}");
    }

    /// <summary>The cells of <paramref name="notebook"/> (a file name) as the kernel ran them, from the TRX file of the one run of every notebook.</summary>
    public static IReadOnlyList<CellResult> CellsOf(string notebook)
    {
        var (result, results) = run.Value;
        string trx = Path.Combine(results, Path.GetFileNameWithoutExtension(notebook) + ".trx");
        if (!File.Exists(trx))
            throw new Xunit.Sdk.XunitException($"{notebook}: the kernel wrote no TRX file (build/notebooks.cs run exit {result.ExitCode}):\n{result.Tail()}");
        return ReadTrx(trx);
    }

    /// <summary>Runs the notebooks of <paramref name="folder"/> in the kernel (packages already packed) and returns the tool's result and the TRX folder.</summary>
    public static (ProcessResult Run, string Results) RunFolder(string folder, string resultsName)
    {
        Packed();
        string results = RepositoryPaths.Scratch(resultsName);
        return (Invoke(["run", "--no-pack", "--notebooks", folder, "--results", results], RunTimeout), results);
    }

    /// <summary>Reads dotnet-repl's TRX: one UnitTestResult per cell, named "Cell    N: first line of the cell".</summary>
    public static IReadOnlyList<CellResult> ReadTrx(string path)
    {
        var results = XDocument.Parse(File.ReadAllText(path)).Descendants().Where(e => e.Name.LocalName == "UnitTestResult");
        return results.Select(e =>
        {
            string name = (string?)e.Attribute("testName") ?? "";
            var match = System.Text.RegularExpressions.Regex.Match(name, @"^Cell\s+(\d+):");
            if (!match.Success) throw new FormatException($"{path}: a result named '{name}' is not a cell");
            string Text(string element) => e.Descendants().FirstOrDefault(d => d.Name.LocalName == element)?.Value ?? "";
            return new CellResult(int.Parse(match.Groups[1].Value), name, (string?)e.Attribute("outcome") == "Passed", Text("Message"), Text("StdOut"));
        }).OrderBy(cell => cell.Number).ToList();
    }

    private static ProcessResult Invoke(string[] arguments, TimeSpan timeout) =>
        ProcessRunner.Run("dotnet", ["run", Path.Combine(RepositoryPaths.Root, "build", "notebooks.cs"), "--", .. arguments], RepositoryPaths.Root, timeout);
}
