// The notebooks run once for the whole suite (two at a time, in build/notebooks.cs); the tests then only read results.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AutoDiffRnn.Notebooks;

/// <summary>
/// Every cell of every notebook, one test case each, as the real Polyglot Notebooks kernel (dotnet-repl) ran it: the cells are listed
/// from the committed .ipynb, their outcomes read from the kernel's TRX, so a cell the kernel skipped or failed fails here.
/// </summary>
public class NotebookCellTests
{
    /// <summary>(notebook file name, 1-based cell number, first line of the cell) for every cell of notebooks/*.ipynb.</summary>
    public static TheoryData<string, int, string> Cells()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var path in RepositoryPaths.NotebookFiles())
            foreach (var cell in NotebookDocument.Load(path).Cells)
                data.Add(Path.GetFileName(path), cell.Number, cell.Source.Split('\n')[0].Trim());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Cell_runs_in_the_kernel(string notebook, int number, string firstLine)
    {
        var cells = NotebookTool.CellsOf(notebook);
        var cell = cells.SingleOrDefault(c => c.Number == number)
            ?? throw new Xunit.Sdk.XunitException($"{notebook}: the kernel reported no result for cell {number} ({firstLine}); it reported {cells.Count} cells");
        Assert.True(cell.Passed, $"{notebook}, cell {number} ({firstLine}) failed in the kernel: {cell.Message}\n{Tail(cell.Output)}");
    }

    [Fact]
    public void The_kernel_reports_as_many_cells_as_each_notebook_has()
    {
        foreach (var path in RepositoryPaths.NotebookFiles())
        {
            string name = Path.GetFileName(path);
            Assert.Equal(NotebookDocument.Load(path).Cells.Count, NotebookTool.CellsOf(name).Count);
        }
    }

    private static string Tail(string text) => string.Join("\n", text.TrimEnd().Split('\n').TakeLast(15));
}
