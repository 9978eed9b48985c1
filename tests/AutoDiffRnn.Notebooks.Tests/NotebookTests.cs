using System.Text.Json.Nodes;
using AutoDiffRnn.Notebooks.Runner;
using Xunit.Abstractions;

// Notebook runs redirect Console.Out and change the current directory: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AutoDiffRnn.Notebooks;

/// <summary>
/// Every notebook in <c>notebooks/</c>, one test case each: valid Polyglot metadata, and every cell runs. Each run's wall time goes
/// to the test output (notebooks are sized to run in under 2 minutes); it is reported, not asserted: timings on a shared machine
/// are not a test.
/// </summary>
public class NotebookTests(ITestOutputHelper output)
{
    /// <summary>The file names of <c>notebooks/*.ipynb</c>.</summary>
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(RepositoryPaths.Notebooks, "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_from_top_to_bottom(string notebook)
    {
        string path = Path.Combine(RepositoryPaths.Notebooks, notebook);
        PolyglotMetadata.AssertValid(path);

        var run = await new NotebookRunner(executedFolder: RepositoryPaths.Executed).RunAsync(path);

        Assert.NotEmpty(run.Cells);
        output.WriteLine($"{notebook}: {run.Cells.Count} cells in {run.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void The_notebooks_folder_holds_notebooks() => Assert.NotEmpty(Notebooks());
}

/// <summary>What VS Code's Polyglot Notebooks extension needs to open a notebook with .NET kernels (see /work/shared/REFERENCE.md).</summary>
public static class PolyglotMetadata
{
    /// <summary>Fails with the notebook's name and the missing piece when its metadata would not open as a Polyglot notebook.</summary>
    public static void AssertValid(string path)
    {
        string name = Path.GetFileName(path);
        var document = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.True(document["nbformat"]?.GetValue<int>() == 4 && document["nbformat_minor"]?.GetValue<int>() == 5, $"{name}: nbformat must be 4.5");
        var metadata = document["metadata"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"{name}: no metadata");
        string? kernelspec = metadata["kernelspec"]?["name"]?.GetValue<string>();
        Assert.True(kernelspec is ".net-csharp" or ".net-fsharp", $"{name}: kernelspec.name must be .net-csharp or .net-fsharp, not {kernelspec ?? "missing"}");
        string? defaultKernel = metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>();
        Assert.True(defaultKernel is "csharp" or "fsharp", $"{name}: polyglot_notebook.kernelInfo.defaultKernelName must be csharp or fsharp");
        Assert.True(metadata["polyglot_notebook"]?["kernelInfo"]?["items"] is JsonArray { Count: > 0 }, $"{name}: polyglot_notebook.kernelInfo.items is missing");
        Assert.NotNull(metadata["language_info"]?["name"]);
        var cells = document["cells"]!.AsArray();
        for (int index = 0; index < cells.Count; index++)
        {
            var cell = cells[index]!.AsObject();
            if (cell["cell_type"]?.GetValue<string>() != "code") continue;
            string? kernel = cell["metadata"]?["polyglot_notebook"]?["kernelName"]?.GetValue<string>();
            Assert.True(kernel is "csharp" or "fsharp", $"{name}: code cell {index + 1} has no polyglot_notebook.kernelName (csharp or fsharp) in its metadata");
            Assert.True(cell["outputs"] is JsonArray, $"{name}: code cell {index + 1} has no outputs array");
        }
    }
}
