using System.Text.Json.Nodes;

namespace AutoDiffRnn.Notebooks;

/// <summary>What the committed notebooks hold: Polyglot metadata, outputs from an executed run, charts as images, no hand-built markup.</summary>
public class NotebookContentTests
{
    /// <summary>The file names of notebooks/*.ipynb.</summary>
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in RepositoryPaths.NotebookFiles()) data.Add(Path.GetFileName(path));
        return data;
    }

    private static NotebookDocument Load(string name) => NotebookDocument.Load(Path.Combine(RepositoryPaths.Notebooks, name));

    /// <summary>The notebooks the README lists, one a line (a notebook added by another branch adds its own line).</summary>
    private static readonly string[] ListedNotebooks =
    [
        "01-the-tape.ipynb",
        "02-vanilla-rnn-from-scratch.ipynb",
        "03-vanishing-and-exploding-gradients.ipynb",
        "04-inside-lstm-and-gru.ipynb",
        "05-the-character-model.ipynb",
        "06-stacked-bidirectional-variable-length.ipynb",
        "07-seq2seq-with-attention.ipynb",
        "08-verifying-gradients.ipynb",
        "09-from-convolutions-to-captions.ipynb",
        "10-deploying-with-onnx.ipynb",
    ];

    [Fact]
    public void The_notebooks_folder_holds_the_listed_notebooks() =>
        Assert.Equal(ListedNotebooks, RepositoryPaths.NotebookFiles().Select(path => Path.GetFileName(path)));

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Metadata_opens_as_a_Polyglot_notebook(string name)
    {
        var notebook = Load(name);
        var json = notebook.Json;
        Assert.True((int?)json["nbformat"] == 4 && (int?)json["nbformat_minor"] == 5, $"{name}: nbformat must be 4.5");
        var metadata = json["metadata"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"{name}: no metadata");
        string? kernelspec = (string?)metadata["kernelspec"]?["name"];
        Assert.True(kernelspec is ".net-csharp" or ".net-fsharp", $"{name}: kernelspec.name must be .net-csharp or .net-fsharp, not {kernelspec ?? "missing"}");
        string? defaultKernel = (string?)metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"];
        Assert.True(defaultKernel is "csharp" or "fsharp", $"{name}: polyglot_notebook.kernelInfo.defaultKernelName must be csharp or fsharp");
        Assert.True(metadata["polyglot_notebook"]?["kernelInfo"]?["items"] is JsonArray { Count: > 0 }, $"{name}: polyglot_notebook.kernelInfo.items is missing");
        Assert.NotNull(metadata["language_info"]?["name"]);
        foreach (var cell in notebook.Cells.Where(c => c.Kind == "code"))
        {
            string? kernel = (string?)cell.Metadata["polyglot_notebook"]?["kernelName"];
            Assert.True(kernel is "csharp" or "fsharp", $"{name}: code cell {cell.Number} has no polyglot_notebook.kernelName (csharp or fsharp)");
        }
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Every_code_cell_is_committed_with_the_outputs_of_a_clean_run(string name)
    {
        var code = Load(name).Cells.Where(c => c.Kind == "code").ToList();
        foreach (var cell in code)
        {
            Assert.DoesNotContain("error", cell.OutputKinds);
            Assert.False(cell.Outputs.Any(o => NotebookDocument.Text(o!["data"]?["text/html"]).Contains("Installing Packages")),
                $"{name}: cell {cell.Number} keeps the kernel's package-installation progress frames");
        }
        // written by `dotnet run build/notebooks.cs -- update`: every code cell numbered, most of them with something to show
        Assert.All(code, cell => Assert.NotNull(Load(name).Json["cells"]![cell.Number - 1]!["execution_count"]?.GetValue<int>()));
        Assert.True(code.Count(c => c.Outputs.Count > 0) * 2 >= code.Count, $"{name}: fewer than half of the code cells have outputs; run build/notebooks.cs update");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void No_chart_is_hand_built_markup(string name)
    {
        foreach (var cell in Load(name).Cells.Where(c => c.Kind == "code"))
            foreach (var marker in new[] { "<svg", "<rect", "<polyline", "HTML(", "<img", "<canvas" })
                Assert.False(cell.Source.Contains(marker, StringComparison.OrdinalIgnoreCase), $"{name}: cell {cell.Number} builds chart markup by hand ({marker})");
    }

    /// <summary>A chart cell builds a ScottPlot chart; its committed output must be the PNG the kernel rendered.</summary>
    [Fact]
    public void Every_chart_cell_is_committed_with_an_image()
    {
        var chartCells = RepositoryPaths.NotebookFiles().Select(NotebookDocument.Load)
            .SelectMany(n => n.Cells.Where(c => c.Kind == "code" && c.Source.Contains("new ScottPlot.Plot()")).Select(c => (n.Name, Cell: c))).ToList();
        Assert.True(chartCells.Count >= 3, $"notebooks 03, 04 and 07 draw charts; found {chartCells.Count} chart cells");
        foreach (var (name, cell) in chartCells)
        {
            Assert.Contains("image/png", cell.OutputKinds);
            foreach (var image in cell.Outputs.Select(o => o!["data"]?["image/png"]).OfType<JsonNode>())
            {
                var bytes = Convert.FromBase64String(NotebookDocument.Text(image));
                Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{name}: cell {cell.Number}'s image is not a PNG");
            }
        }
    }
}
