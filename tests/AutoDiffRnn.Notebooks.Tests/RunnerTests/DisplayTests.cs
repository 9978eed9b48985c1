using AutoDiffRnn.Notebooks.Runner;
using static AutoDiffRnn.Notebooks.RunnerTests.RunnerTestSupport;

namespace AutoDiffRnn.Notebooks.RunnerTests;

/// <summary>display(...), .Display(), HTML(...), console text and the last expression's value become cell outputs.</summary>
public class DisplayTests
{
    [Fact]
    public async Task Outputs_are_recorded_in_order_with_their_mime_types()
    {
        var run = await Run("display.ipynb");

        Assert.Equal(
            [(CellOutputKind.Stream, "before\n"), (CellOutputKind.DisplayData, "shown with display"), (CellOutputKind.Stream, "after\n")],
            run.Cells[0].Outputs.Select(output => (output.Kind, output.Text)));

        var second = run.Cells[1].Outputs;
        Assert.Equal(["image/png", "text/html", "text/plain"], second.Select(output => output.MimeType));
        Assert.Equal(11, second[0].Bytes!.Length);
        Assert.Equal("<b>bold</b>", second[1].Text);
        Assert.Equal("[1, 2, 3]", second[2].Text);

        var result = Assert.Single(run.Cells[2].Outputs);
        Assert.Equal((CellOutputKind.ExecuteResult, "3"), (result.Kind, result.Text));

        Assert.Equal(
            [(CellOutputKind.DisplayData, "shown from F#"), (CellOutputKind.DisplayData, "extension from F#"), (CellOutputKind.ExecuteResult, "[1; 2; 3]")],
            run.Cells[3].Outputs.Select(output => (output.Kind, output.Text)));
    }

    [Fact]
    public async Task The_executed_notebook_holds_the_outputs_in_nbformat()
    {
        string folder = Path.Combine(RepositoryPaths.Executed, "runner-tests");
        var run = await new NotebookRunner(executedFolder: folder).RunAsync(Path.Combine(RepositoryPaths.TestData, "display.ipynb"));

        var cells = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(run.ExecutedPath!))!["cells"]!.AsArray();
        Assert.Equal(1, cells[0]!["execution_count"]!.GetValue<int>());
        var outputs = cells[1]!["outputs"]!.AsArray();
        Assert.Equal("display_data", outputs[0]!["output_type"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]), outputs[0]!["data"]!["image/png"]!.GetValue<string>());
        Assert.Equal("execute_result", cells[2]!["outputs"]![0]!["output_type"]!.GetValue<string>());
        Assert.Equal("3", cells[2]!["outputs"]![0]!["data"]!["text/plain"]![0]!.GetValue<string>());
    }

    [Fact]
    public void A_png_file_path_is_displayed_as_an_image()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "plot.png");
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7];
        File.WriteAllBytes(path, png);

        var output = CellOutput.Describe(path);

        Assert.Equal("image/png", output.MimeType);
        Assert.Equal(png, output.Bytes);
    }
}
