using static AutoDiffRnn.Notebooks.RunnerTests.RunnerTestSupport;

namespace AutoDiffRnn.Notebooks.RunnerTests;

/// <summary>The runner must fail, and say where: notebook, cell number, first line, error.</summary>
public class FailureReportingTests
{
    [Fact]
    public async Task A_throwing_CSharp_cell_fails_the_run_at_that_cell()
    {
        var failure = await Fails("throwing-csharp.ipynb");

        Assert.Equal("throwing-csharp.ipynb", failure.NotebookName);
        Assert.Equal(5, failure.CellNumber);
        Assert.Equal(3, failure.CodeCellNumber);
        Assert.Equal("// cell 5: throws", failure.FirstLine);
        Assert.Equal("csharp", failure.Kernel);
        Assert.Contains("System.InvalidOperationException: boom from the fifth cell", failure.Error);
        Assert.Contains("notebook throwing-csharp.ipynb: cell 5 (code cell 3, csharp) failed; its first line: // cell 5: throws", failure.Message);
    }

    [Fact]
    public async Task A_throwing_FSharp_cell_fails_the_run_at_that_cell()
    {
        var failure = await Fails("throwing-fsharp.ipynb");

        Assert.Equal(4, failure.CellNumber);
        Assert.Equal(3, failure.CodeCellNumber);
        Assert.Equal("fsharp", failure.Kernel);
        Assert.Equal("// cell 4: throws", failure.FirstLine);
        Assert.Contains("System.Exception: boom from F#", failure.Error);
    }

    [Fact]
    public async Task A_CSharp_compile_error_fails_with_the_diagnostic()
    {
        var failure = await Fails("compile-error-csharp.ipynb");

        Assert.Equal(2, failure.CellNumber);
        Assert.Contains("compilation failed", failure.Error);
        Assert.Contains("error CS0029", failure.Error);
        Assert.Contains("compile-error-csharp.ipynb cell 2(2,", failure.Error); // file name and line within the cell
    }

    [Fact]
    public async Task An_FSharp_compile_error_fails_with_the_diagnostic()
    {
        var failure = await Fails("compile-error-fsharp.ipynb");

        Assert.Equal(2, failure.CellNumber);
        Assert.Contains("compilation failed", failure.Error);
        Assert.Contains("error FS0001", failure.Error);
        Assert.Contains("(2,", failure.Error); // line 2 of the cell
    }

    [Fact]
    public async Task Cells_before_the_failing_one_ran_and_later_ones_did_not()
    {
        var executed = Path.Combine(RepositoryPaths.Executed, "runner-tests");
        var failure = await Assert.ThrowsAsync<Runner.NotebookCellFailedException>(() =>
            new Runner.NotebookRunner(executedFolder: executed).RunAsync(Path.Combine(RepositoryPaths.TestData, "throwing-csharp.ipynb")));

        var cells = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(executed, "throwing-csharp.ipynb")))!["cells"]!.AsArray();
        Assert.Contains("answer = 42", cells[2]!["outputs"]!.ToJsonString());                     // cell 3 ran
        Assert.Equal("error", cells[4]!["outputs"]![0]!["output_type"]!.GetValue<string>());      // cell 5 failed
        Assert.Equal("InvalidOperationException: boom from the fifth cell",
            cells[4]!["outputs"]![0]!["ename"]!.GetValue<string>().Split('.').Last() + ": " + cells[4]!["outputs"]![0]!["evalue"]!.GetValue<string>());
        Assert.Empty(cells[5]!["outputs"]!.AsArray());                                              // cell 6 did not run
        Assert.Null(cells[5]!["execution_count"]);
        Assert.Contains(executed, failure.Message);
    }

    [Fact]
    public async Task An_unsupported_magic_command_is_reported()
    {
        var failure = await Fails("unsupported-magic.ipynb");

        Assert.Equal(2, failure.CellNumber);
        Assert.Contains("'#!time' is not supported", failure.Error);
    }

    [Fact]
    public async Task An_unsupported_kernel_is_reported()
    {
        var failure = await Fails("unsupported-kernel.ipynb");

        Assert.Equal(1, failure.CellNumber);
        Assert.Contains("the kernel 'pwsh' is not supported", failure.Error);
    }
}
