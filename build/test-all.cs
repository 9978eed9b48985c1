// Builds the solution in Release and runs every test suite of AutoDiffRnn — xUnit projects through `dotnet test`,
// Expecto console projects through `dotnet run` — then prints one closing line totalling all suites: "N passed, M failed".
// Usage (from anywhere): dotnet run build/test-all.cs [-- --configuration Debug] [-- --only NameFragment]
using System.Diagnostics;
using System.Text.RegularExpressions;

string root = FindRoot();
string configuration = ArgumentValue("--configuration") ?? "Release";
string? only = ArgumentValue("--only");

Console.WriteLine($"AutoDiffRnn test run ({configuration}) in {root}");
// Two runs in the same clone would build into the same obj/ and bin/ folders at once: the second waits for the first.
using var runLock = AcquireRunLock(Path.Combine(root, "obj", ".test-all.lock"));
if (Run("dotnet", $"build AutoDiffRnn.sln -c {configuration} -nologo -v:m", echo: true).ExitCode != 0)
{
    Console.WriteLine("build failed");
    Console.WriteLine("0 passed, 1 failed");
    return 1;
}

int passed = 0, failed = 0, skipped = 0;
var rows = new List<string>();
foreach (var project in Directory.GetDirectories(Path.Combine(root, "tests")).OrderBy(path => path, StringComparer.Ordinal))
{
    string name = Path.GetFileName(project);
    string references = Path.Combine(project, "paket.references");
    if (!File.Exists(references) || name.Contains("Benchmarks") || (only is not null && !name.Contains(only))) continue;
    string packages = File.ReadAllText(references);
    var watch = Stopwatch.StartNew();
    (int Passed, int Failed, int Skipped) result;
    if (Regex.IsMatch(packages, @"^\s*xunit\s*$", RegexOptions.Multiline))
    {
        var run = Run("dotnet", $"test {project} -c {configuration} --no-build -nologo", echo: true);
        var counts = Regex.Matches(run.Output, @"Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)");
        result = counts.Count == 0
            ? (0, 1, 0)
            : (counts.Sum(m => int.Parse(m.Groups[2].Value)), counts.Sum(m => int.Parse(m.Groups[1].Value)), counts.Sum(m => int.Parse(m.Groups[3].Value)));
        if (run.ExitCode != 0 && result.Item2 == 0) result.Item2 = 1; // the runner itself failed
    }
    else if (Regex.IsMatch(packages, @"^\s*Expecto\s*$", RegexOptions.Multiline))
    {
        var run = Run("dotnet", $"run --project {project} -c {configuration} --no-build -- --summary", echo: true);
        // Expecto writes counts with thousands separators ("1,287 passed").
        var summary = Regex.Match(run.Output, @"([\d,]+) passed, ([\d,]+) ignored, ([\d,]+) failed, ([\d,]+) errored");
        int Count(int group) => int.Parse(summary.Groups[group].Value.Replace(",", ""));
        result = summary.Success ? (Count(1), Count(3) + Count(4), Count(2)) : (0, 1, 0);
        if (run.ExitCode != 0 && result.Item2 == 0) result.Item2 = 1;
    }
    else continue;
    passed += result.Passed; failed += result.Failed; skipped += result.Skipped;
    rows.Add($"  {name,-40} {result.Passed,6} passed {result.Failed,4} failed {result.Skipped,4} skipped  {watch.Elapsed.TotalSeconds,7:F1} s");
}

Console.WriteLine();
Console.WriteLine("Suites:");
rows.ForEach(Console.WriteLine);
if (rows.Count == 0) { Console.WriteLine("no test suite ran"); failed++; }
// Skipped tests prove nothing: they count as failures.
Console.WriteLine($"{passed} passed, {failed + skipped} failed");
return failed + skipped == 0 ? 0 : 1;

static FileStream AcquireRunLock(string path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    bool announced = false;
    while (true)
    {
        // An exclusive FileStream is an OS-level lock that ends with the process holding it.
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException)
        {
            if (!announced) Console.WriteLine($"another test run in this clone holds {path}; waiting for it to finish");
            announced = true;
            Thread.Sleep(1000);
        }
    }
}

static string FindRoot()
{
    for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        if (File.Exists(Path.Combine(directory.FullName, "AutoDiffRnn.sln"))) return directory.FullName;
    throw new InvalidOperationException("run this from inside the AutoDiffRnn repository (no AutoDiffRnn.sln found above the current folder)");
}

string? ArgumentValue(string option)
{
    int index = Array.IndexOf(args, option);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

(int ExitCode, string Output) Run(string file, string arguments, bool echo)
{
    var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
    using var process = Process.Start(start)!;
    var output = new System.Text.StringBuilder();
    void Forward(string? line) { if (line is null) return; lock (output) output.AppendLine(line); if (echo) Console.WriteLine(line); }
    process.OutputDataReceived += (_, e) => Forward(e.Data);
    process.ErrorDataReceived += (_, e) => Forward(e.Data);
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    process.WaitForExit();
    // runners may colour their summaries: strip ANSI escape sequences before parsing
    return (process.ExitCode, Regex.Replace(output.ToString(), @"\x1B\[[0-9;?]*[ -/]*[@-~]", ""));
}
