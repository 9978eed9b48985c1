using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>
/// A Jupyter notebook (.ipynb, nbformat 4) as Polyglot Notebooks writes it: its cells, and the kernel each code cell
/// runs in. The kernel of a code cell comes from, in order: the cell's <c>polyglot_notebook.kernelName</c>, its
/// <c>dotnet_interactive.language</c>, else the notebook's default (<c>polyglot_notebook.kernelInfo.defaultKernelName</c>,
/// then <c>kernelspec.name</c> such as <c>.net-csharp</c>, then <c>language_info.name</c>). A magic line such as
/// <c>#!fsharp</c> inside the cell overrides it for the lines that follow (see <see cref="CellSource"/>).
/// </summary>
public sealed class NotebookFile
{
    private readonly JsonObject document;

    private NotebookFile(string path, JsonObject document, string? defaultKernel, IReadOnlyList<NotebookCell> cells)
    {
        Path = path;
        this.document = document;
        DefaultKernel = defaultKernel;
        Cells = cells;
    }

    /// <summary>The full path of the .ipynb file.</summary>
    public string Path { get; }

    /// <summary>The file name, e.g. <c>01-the-tape.ipynb</c>.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>The folder holding the notebook: relative paths in <c>#r</c> and <c>#i</c> are resolved against it.</summary>
    public string Folder => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>The normalized kernel name cells run in unless they say otherwise (<c>csharp</c>, <c>fsharp</c>, ...), or null.</summary>
    public string? DefaultKernel { get; }

    /// <summary>Every cell in order (markdown and raw cells included, so indexes match what an editor shows).</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>Reads and parses a notebook; throws <see cref="InvalidDataException"/> naming the file when it is not a notebook.</summary>
    public static NotebookFile Load(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        JsonObject document;
        try
        {
            document = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: the top level is not a JSON object");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {error.Message}", error);
        }
        if (document["nbformat"]?.GetValue<int>() is not 4)
            throw new InvalidDataException($"{path}: expected nbformat 4, found {document["nbformat"]?.ToJsonString() ?? "none"}");
        if (document["cells"] is not JsonArray cellArray)
            throw new InvalidDataException($"{path}: no \"cells\" array");

        string? defaultKernel = DefaultKernelOf(document["metadata"] as JsonObject);
        var cells = new List<NotebookCell>();
        for (int index = 0; index < cellArray.Count; index++)
        {
            if (cellArray[index] is not JsonObject cell)
                throw new InvalidDataException($"{path}: cell {index + 1} is not a JSON object");
            string cellType = cell["cell_type"]?.GetValue<string>()
                ?? throw new InvalidDataException($"{path}: cell {index + 1} has no cell_type");
            var metadata = cell["metadata"] as JsonObject;
            string? kernel = KernelNames.Normalize(
                metadata?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                ?? metadata?["dotnet_interactive"]?["language"]?.GetValue<string>())
                ?? defaultKernel;
            cells.Add(new NotebookCell(index, cellType, SourceText(cell["source"]), cellType == "code" ? kernel : null));
        }
        return new NotebookFile(path, document, defaultKernel, cells);
    }

    private static string? DefaultKernelOf(JsonObject? metadata) =>
        KernelNames.Normalize(metadata?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>())
        ?? KernelNames.Normalize(metadata?["kernelspec"]?["name"]?.GetValue<string>())
        ?? KernelNames.Normalize(metadata?["kernelspec"]?["language"]?.GetValue<string>())
        ?? KernelNames.Normalize(metadata?["language_info"]?["name"]?.GetValue<string>());

    /// <summary>A cell's source: nbformat allows one string or an array of lines (each ending with its newline).</summary>
    private static string SourceText(JsonNode? source) => source switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(line => line?.GetValue<string>() ?? "")),
        _ => source.GetValue<string>(),
    };

    /// <summary>
    /// Writes a copy of the notebook with the outputs and execution counts of a run (what an editor would show after
    /// "Run All") to <paramref name="outputPath"/>.
    /// </summary>
    public void WriteExecuted(string outputPath, IReadOnlyList<CellRun> runs)
    {
        var copy = (JsonObject)document.DeepClone();
        var cellArray = (JsonArray)copy["cells"]!;
        foreach (var run in runs)
        {
            var cell = (JsonObject)cellArray[run.Cell.Index]!;
            cell["execution_count"] = run.ExecutionCount;
            cell["outputs"] = new JsonArray(run.Outputs.Select(output => output.ToJson(run.ExecutionCount)).ToArray<JsonNode?>());
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(outputPath))!);
        File.WriteAllText(outputPath, copy.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}

/// <summary>One cell of a notebook.</summary>
/// <param name="Index">Zero-based position among all cells of the notebook.</param>
/// <param name="CellType"><c>code</c>, <c>markdown</c> or <c>raw</c>.</param>
/// <param name="Source">The cell's text.</param>
/// <param name="Kernel">For a code cell, the normalized kernel named by the metadata (or the notebook default), else null.</param>
public sealed record NotebookCell(int Index, string CellType, string Source, string? Kernel)
{
    /// <summary>The one-based cell number, as people count cells.</summary>
    public int Number => Index + 1;

    /// <summary>The first non-blank line of the source, for messages.</summary>
    public string FirstLine => Source.Split('\n').Select(line => line.TrimEnd('\r')).FirstOrDefault(line => line.Trim().Length > 0) ?? "";
}

/// <summary>Kernel names as they appear in notebook metadata and magic commands, mapped to the runner's kernels.</summary>
public static class KernelNames
{
    /// <summary>The C# kernel.</summary>
    public const string CSharp = "csharp";

    /// <summary>The F# kernel.</summary>
    public const string FSharp = "fsharp";

    /// <summary>
    /// Maps <c>csharp</c>, <c>C#</c>, <c>.net-csharp</c> to <see cref="CSharp"/>, the F# spellings to <see cref="FSharp"/>,
    /// strips the <c>.net-</c> prefix of other kernels (<c>.net-pwsh</c> gives <c>pwsh</c>) and lower-cases the rest;
    /// null and <c>polyglot-notebook</c> (which names no kernel) give null.
    /// </summary>
    public static string? Normalize(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        string lower = name.Trim().ToLowerInvariant();
        if (lower.StartsWith(".net-", StringComparison.Ordinal)) lower = lower[".net-".Length..];
        return lower switch
        {
            "polyglot-notebook" => null, // VS Code's language_info.name: says nothing about the kernel
            "csharp" or "c#" or "cs" => CSharp,
            "fsharp" or "f#" or "fs" => FSharp,
            _ => lower,
        };
    }
}
