using static AutoDiffRnn.Notebooks.RunnerTests.RunnerTestSupport;

namespace AutoDiffRnn.Notebooks.RunnerTests;

/// <summary>Which kernel runs a cell: cell metadata, magic lines, notebook metadata.</summary>
public class KernelSelectionTests
{
    [Fact]
    public async Task Each_cell_runs_in_the_kernel_its_metadata_or_magic_line_names()
    {
        var run = await Run("kernel-selection.ipynb");

        Assert.Equal(6, run.Cells.Count);
        Assert.Equal("csharp by notebook default\n", Text(run.Cells[0]));
        Assert.Equal("fsharp by cell metadata\n", Text(run.Cells[1]));
        Assert.Equal("fsharp by magic line\n", Text(run.Cells[2]));
        Assert.Equal("fsharp by dotnet_interactive.language\n", Text(run.Cells[3]));
        Assert.Equal("csharp by magic line\nfsharp after a second magic line\n", Text(run.Cells[4]));
        Assert.Equal("csharp by magic line\n", Text(run.Cells[5]));
    }

    [Fact]
    public async Task The_kernelspec_alone_selects_the_default_kernel()
    {
        var run = await Run("kernelspec-fsharp.ipynb");

        Assert.Equal("fsharp by kernelspec\n", Text(run.Cells[0]));
    }

    [Theory]
    [InlineData("csharp", "csharp")]
    [InlineData("C#", "csharp")]
    [InlineData(".net-csharp", "csharp")]
    [InlineData("fsharp", "fsharp")]
    [InlineData("F#", "fsharp")]
    [InlineData(".net-fsharp", "fsharp")]
    [InlineData(".net-pwsh", "pwsh")]
    [InlineData("polyglot-notebook", null)]
    [InlineData(null, null)]
    public void Kernel_names_are_normalized(string? name, string? expected) =>
        Assert.Equal(expected, Runner.KernelNames.Normalize(name));

    [Fact]
    public void Magic_lines_split_a_cell_and_keep_line_numbers()
    {
        var segments = Runner.CellSource.Split("var a = 1;\n#!fsharp\nlet b = 2\n", "csharp", "/tmp");

        Assert.Equal(2, segments.Count);
        Assert.Equal("csharp", segments[0].Kernel);
        Assert.Equal("var a = 1;\n", segments[0].Code);
        Assert.Equal("fsharp", segments[1].Kernel);
        Assert.Equal("\n\nlet b = 2\n", segments[1].Code); // "let b" stays on line 3
    }

    [Fact]
    public void Package_directives_are_taken_out_of_the_code()
    {
        var segment = Assert.Single(Runner.CellSource.Split("#i \"nuget: ../feed\"\n#r \"nuget: AutoDiffRnn, 0.1.0\"\n#r \"nuget: Other\"\nvar x = 1;", "csharp", "/repo/notebooks"));

        Assert.Equal("\n\n\nvar x = 1;", segment.Code);
        Assert.Equal([new Runner.PackageRequest("AutoDiffRnn", "0.1.0"), new Runner.PackageRequest("Other", null)], segment.Packages);
        Assert.Equal(["/repo/feed"], segment.PackageSources);
    }

    [Fact]
    public void A_missing_assembly_file_is_reported_with_its_full_path()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Runner.CellSource.Split("#r \"lib/missing.dll\"", "csharp", "/repo/notebooks"));

        Assert.Contains("/repo/notebooks/lib/missing.dll", error.Message);
    }
}
