// Runs the notebooks of notebooks/ in the real Polyglot Notebooks kernel (.NET Interactive, hosted headless by the local tool dotnet-repl).
//   dotnet run build/notebooks.cs -- pack      packs AutoDiffRnn, AutoDiffRnn.Onnx, AutoDiffRnn.FSharp and AutoDiffRnn.FSharp.Torch into notebooks/packages
//   dotnet run build/notebooks.cs -- run       packs, then runs every notebook (one TRX test per cell) and prints each cell's outcome
//   dotnet run build/notebooks.cs -- update    packs, then runs every notebook and writes it back with its outputs (charts, tables, text)
// Options: --no-build (pack what is already built), --configuration C (default Release), --no-pack (run/update only), --results FOLDER
// (where the TRX files go, default obj/notebooks), --notebooks FOLDER (default notebooks/; another folder needs its own nuget.config
// naming notebooks/packages), and notebook name fragments to run only some ("-- run 03 08").
// Each pack gets a newer version (0.1.0-local.<UTC yyyyMMddHHmmss>), so the notebooks' `#r "nuget: AutoDiffRnn, 0.1.0-local.*"` always
// loads the latest pack and the kernel's package cache never serves a stale build.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

string root = FindRoot();
string packagesFolder = Path.Combine(root, "notebooks", "packages");
string[] packedProjects = ["src/AutoDiffRnn/AutoDiffRnn.csproj", "src/AutoDiffRnn.Onnx/AutoDiffRnn.Onnx.csproj", "src-fsharp/AutoDiffRnn.FSharp/AutoDiffRnn.FSharp.fsproj",
                           "src-fsharp/AutoDiffRnn.FSharp.Torch/AutoDiffRnn.FSharp.Torch.fsproj"];
const int NotebooksAtOnce = 2;

string verb = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "";
bool noBuild = args.Contains("--no-build"), noPack = args.Contains("--no-pack");
string resultsFolder = Path.GetFullPath(OptionValue("--results") ?? Path.Combine(root, "obj", "notebooks"));
string notebooksFolder = Path.GetFullPath(OptionValue("--notebooks") ?? Path.Combine(root, "notebooks"));
string configuration = OptionValue("--configuration") ?? "Release";
string[] filters = args.SkipWhile(a => a != verb).Skip(1).Where((a, i) => !a.StartsWith("--") && !IsOptionValue(a)).ToArray();

switch (verb)
{
    case "pack":
        return Pack() ? 0 : 1;
    case "run":
        if (!noPack && !Pack()) return 1;
        return RunAll(update: false);
    case "update":
        if (!noPack && !Pack()) return 1;
        return RunAll(update: true);
    default:
        Console.Error.WriteLine($"notebooks: unknown verb '{verb}'; use pack, run or update (see the first lines of build/notebooks.cs)");
        return 2;
}

bool Pack()
{
    Directory.CreateDirectory(packagesFolder);
    foreach (var old in Directory.EnumerateFiles(packagesFolder, "AutoDiffRnn*.nupkg")) File.Delete(old);
    string version = $"0.1.0-local.{DateTime.UtcNow:yyyyMMddHHmmss}";
    Console.WriteLine($"packing {version} into {Path.GetRelativePath(root, packagesFolder)}");
    foreach (var project in packedProjects)
    {
        // PackageVersion, not Version: the assemblies stay as built, only the packages carry the local version.
        var (exitCode, output) = Run("dotnet", ["pack", project, "-c", configuration, "-nologo", "-v:q", $"-p:PackageVersion={version}",
                                                "-o", packagesFolder, .. noBuild ? new[] { "--no-build" } : []], root);
        if (exitCode != 0)
        {
            Console.Error.WriteLine($"notebooks: dotnet pack {project} failed (exit {exitCode}): {LastLines(output, 5)}");
            return false;
        }
    }
    return true;
}

int RunAll(bool update)
{
    var notebooks = Directory.EnumerateFiles(notebooksFolder, "*.ipynb").Order(StringComparer.Ordinal)
        .Where(path => filters.Length == 0 || filters.Any(f => Path.GetFileName(path).Contains(f))).ToArray();
    if (notebooks.Length == 0)
    {
        Console.Error.WriteLine($"notebooks: no notebook in {notebooksFolder} matches {string.Join(", ", filters)}");
        return 1;
    }
    Directory.CreateDirectory(resultsFolder);
    using var gate = new SemaphoreSlim(NotebooksAtOnce);
    var runs = notebooks.Select(async path =>
    {
        await gate.WaitAsync();
        try { return await Task.Run(() => RunOne(path, update)); }
        finally { gate.Release(); }
    }).ToArray();
    var results = Task.WhenAll(runs).GetAwaiter().GetResult();
    int passed = results.Sum(r => r.Passed), failed = results.Sum(r => r.Failed);
    Console.WriteLine($"{passed} cells passed, {failed} failed");
    return failed == 0 ? 0 : 1;
}

(int Passed, int Failed) RunOne(string notebook, bool update)
{
    string name = Path.GetFileNameWithoutExtension(notebook);
    string output = Path.Combine(resultsFolder, name + (update ? ".ipynb" : ".trx"));
    File.Delete(output);
    var watch = Stopwatch.StartNew();
    var (exitCode, log) = Run("dotnet", ["dotnet-repl", "--run", notebook, "--exit-after-run", "--output-format", update ? "ipynb" : "trx",
                                         "--output-path", output], notebooksFolder);
    if (!File.Exists(output))
    {
        Console.WriteLine($"{name}: dotnet-repl wrote no results (exit {exitCode}): {LastLines(log, 5)}");
        return (0, 1);
    }
    var cells = update ? CellsOfExecutedNotebook(output) : CellsOfTrx(output);
    foreach (var cell in cells.Where(c => !c.Passed)) Console.WriteLine($"{name}: FAILED {cell.Name}\n{Indent(cell.Message)}");
    int passed = cells.Count(c => c.Passed), failed = cells.Count - passed;
    if (exitCode != 0 && failed == 0) failed = 1;   // the kernel itself failed
    if (update && failed == 0) WriteBack(notebook, output);
    Console.WriteLine($"{name}: {passed} cells passed, {failed} failed in {watch.Elapsed.TotalSeconds:F0} s{(update && failed == 0 ? ", outputs written back" : "")}");
    return (passed, failed);
}

// A TRX file from dotnet-repl: one UnitTestResult per cell, named "Cell    N: first line", with its outcome and error message.
static List<(string Name, bool Passed, string Message)> CellsOfTrx(string path)
{
    var document = System.Xml.Linq.XDocument.Parse(File.ReadAllText(path));   // declared utf-16, written as UTF-8: parse the text
    return document.Descendants().Where(e => e.Name.LocalName == "UnitTestResult")
        .Select(e => ((string)e.Attribute("testName")!, (string?)e.Attribute("outcome") == "Passed",
                      e.Descendants().FirstOrDefault(m => m.Name.LocalName == "Message")?.Value ?? ""))
        .ToList();
}

// An executed notebook from dotnet-repl: a code cell failed when one of its outputs is an error.
static List<(string Name, bool Passed, string Message)> CellsOfExecutedNotebook(string path)
{
    var cells = JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray();
    return cells.Select((cell, index) =>
    {
        var error = cell!["outputs"]?.AsArray().FirstOrDefault(o => (string?)o!["output_type"] == "error");
        string firstLine = SourceOf(cell).Split('\n')[0];
        return ($"Cell {index + 1}: {firstLine}", error is null, error is null ? "" : $"{error["ename"]}: {error["evalue"]}");
    }).ToList();
}

// Writes the executed outputs into the committed notebook: its sources and metadata stay as they are, each code cell takes the outputs
// of the same cell in the executed copy. The kernel's transient "Installing Packages" progress frames are dropped: a reader's editor
// replaces them by the final "Installed Packages" list as they arrive, and only that list is kept.
void WriteBack(string notebook, string executedPath)
{
    var original = JsonNode.Parse(File.ReadAllText(notebook))!.AsObject();
    var executed = JsonNode.Parse(File.ReadAllText(executedPath))!["cells"]!.AsArray();
    var cells = original["cells"]!.AsArray();
    if (cells.Count != executed.Count)
        throw new InvalidOperationException($"{Path.GetFileName(notebook)}: the executed copy has {executed.Count} cells, the notebook {cells.Count}");
    int count = 0;
    for (int index = 0; index < cells.Count; index++)
    {
        var cell = cells[index]!.AsObject();
        if ((string?)cell["cell_type"] != "code") continue;
        var outputs = new JsonArray();
        foreach (var output in executed[index]!["outputs"]?.AsArray() ?? [])
            if (!IsProgressFrame(output!)) outputs.Add(output!.DeepClone());
        cell["outputs"] = outputs;
        cell["execution_count"] = ++count;
    }
    var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    File.WriteAllText(notebook, original.ToJsonString(options) + "\n");
}

static bool IsProgressFrame(JsonNode output) =>
    output["data"]?["text/html"] is JsonNode html && SourceText(html).Contains("<strong>Installing Packages</strong>");

static string SourceOf(JsonNode cell) => SourceText(cell["source"]);

static string SourceText(JsonNode? node) => node switch
{
    JsonArray lines => string.Concat(lines.Select(line => (string?)line)),
    JsonValue value => (string?)value ?? "",
    _ => "",
};

static string Indent(string text) => string.Join("\n", text.Trim().Split('\n').Take(20).Select(line => "    " + line));

static string LastLines(string text, int count) => string.Join(" | ", text.Trim().Split('\n').TakeLast(count).Select(l => l.Trim()));

static string FindRoot()
{
    for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        if (File.Exists(Path.Combine(directory.FullName, "AutoDiffRnn.sln"))) return directory.FullName;
    throw new InvalidOperationException("run this from inside the AutoDiffRnn repository (no AutoDiffRnn.sln found above the current folder)");
}

string? OptionValue(string option)
{
    int index = Array.IndexOf(args, option);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

bool IsOptionValue(string argument) =>
    Array.IndexOf(args, argument) is > 0 and var i && args[i - 1] is "--results" or "--notebooks" or "--configuration";

static (int ExitCode, string Output) Run(string file, IEnumerable<string> arguments, string workingDirectory)
{
    var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in arguments) start.ArgumentList.Add(argument);
    using var process = Process.Start(start)!;
    var output = new System.Text.StringBuilder();
    process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
    process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    process.WaitForExit();
    return (process.ExitCode, Regex.Replace(output.ToString(), @"\x1B\[[0-9;?]*[ -/]*[@-~]", ""));
}
