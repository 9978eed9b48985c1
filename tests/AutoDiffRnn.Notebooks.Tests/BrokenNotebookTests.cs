using System.Text.Json.Nodes;

namespace AutoDiffRnn.Notebooks;

/// <summary>
/// The suite can fail: a temporary copy of notebook 05 with its <c>using System.IO;</c> removed (the bug the real kernel found and the
/// old homemade runner hid) runs through the same tool and kernel, and the cell reading the corpus must come back failed with the C#
/// compiler's error, the tool exiting non-zero.
/// </summary>
public class BrokenNotebookTests
{
    [Fact]
    public void A_notebook_missing_a_using_fails_in_the_kernel()
    {
        string folder = RepositoryPaths.Scratch("broken-notebook");
        var notebook = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Notebooks, "05-the-character-model.ipynb")))!.AsObject();
        var cells = notebook["cells"]!.AsArray();
        int firstCode = cells.Select((c, i) => (c, i)).First(p => (string?)p.c!["cell_type"] == "code").i;
        string setup = NotebookDocument.Text(cells[firstCode]!["source"]);
        Assert.Contains("using System.IO;", setup);
        cells[firstCode]!["source"] = setup.Replace("using System.IO;", "");
        // keep the setup cell and the cell that reads the corpus: enough to fail, quick to run
        int readsCorpus = cells.Select((c, i) => (c, i)).First(p => NotebookDocument.Text(p.c!["source"]).Contains("File.ReadAllText")).i;
        while (cells.Count > readsCorpus + 1) cells.RemoveAt(cells.Count - 1);
        File.WriteAllText(Path.Combine(folder, "05-broken.ipynb"), notebook.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="AutoDiffRnn.LocalPackages" value="{RepositoryPaths.Packages}" />
              </packageSources>
            </configuration>
            """);

        var (run, results) = NotebookTool.RunFolder(folder, "broken-trx");

        Assert.NotEqual(0, run.ExitCode);
        var reported = NotebookTool.ReadTrx(Path.Combine(results, "05-broken.trx"));
        var failed = Assert.Single(reported, cell => !cell.Passed);
        Assert.Equal(readsCorpus + 1, failed.Number);
        Assert.Contains("CS0103", failed.Message + failed.Output);
        Assert.Contains("1 failed", run.Output);
    }
}
