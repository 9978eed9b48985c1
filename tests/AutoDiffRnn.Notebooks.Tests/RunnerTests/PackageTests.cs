using AutoDiffRnn.Notebooks.Runner;
using static AutoDiffRnn.Notebooks.RunnerTests.RunnerTestSupport;

namespace AutoDiffRnn.Notebooks.RunnerTests;

/// <summary>#r "nuget: ..." from the test project's build of the library or from a local feed; #r "file.dll".</summary>
public class PackageTests
{
    [Fact]
    public async Task The_library_package_resolves_to_the_build_the_tests_reference_in_both_languages()
    {
        var run = await Run("library.ipynb");

        Assert.Contains("tensor([2, 4, 6]", Text(run.Cells[1]));
        Assert.Equal("5", Text(run.Cells[2]));
    }

    [Fact]
    public async Task A_version_other_than_the_built_one_is_reported_with_the_right_directive()
    {
        var failure = await Fails("wrong-version.ipynb");

        string built = PackageResolver.PackageVersionOf(typeof(Tensor).Assembly);
        Assert.Contains($"the repository builds AutoDiffRnn {built}", failure.Error);
        Assert.Contains($"#r \"nuget: AutoDiffRnn, {built}\"", failure.Error);
    }

    [Fact]
    public async Task An_unknown_package_is_reported()
    {
        var failure = await Fails("unknown-package.ipynb");

        Assert.Contains("#r \"nuget: No.Such.Package, 1.0.0\": not found", failure.Error);
    }

    [Theory]
    [InlineData(null, "0.1.0", true)]
    [InlineData("0.1.0", "0.1.0", true)]
    [InlineData("0.1", "0.1.0", true)]
    [InlineData("0.1.*", "0.1.3", true)]
    [InlineData("*-*", "0.1.3", true)]
    [InlineData("[0.1.0,)", "0.2.0", true)]
    [InlineData("0.2.0", "0.1.0", false)]
    [InlineData("0.2.*", "0.1.0", false)]
    public void Requested_versions_match_available_ones(string? requested, string available, bool matches) =>
        Assert.Equal(matches, PackageResolver.VersionMatches(requested, available));

    [Fact]
    public async Task A_relative_assembly_path_is_resolved_from_the_notebook_folder()
    {
        using var folder = new TemporaryFolder();
        string name = "RelativeSample" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(Path.Combine(folder.Path, "lib"));
        File.WriteAllBytes(Path.Combine(folder.Path, "lib", name + ".dll"),
            CompileLibrary(name, $"namespace {name}; public static class Greeting {{ public static string Text => \"hello from a file\"; }}"));
        string notebook = WriteNotebook(folder.Path, "relative.ipynb",
            $"#r \"lib/{name}.dll\"\nConsole.WriteLine({name}.Greeting.Text);",
            $"fsharp:#r \"lib/{name}.dll\"\nprintfn \"%s\" {name}.Greeting.Text");

        var run = await new NotebookRunner().RunAsync(notebook);

        Assert.Equal("hello from a file\n", Text(run.Cells[0]));
        Assert.Equal("hello from a file\n", Text(run.Cells[1]));
    }

    [Fact]
    public async Task A_package_and_its_dependency_resolve_from_a_local_feed()
    {
        using var folder = new TemporaryFolder();
        string suffix = Guid.NewGuid().ToString("N");
        string dependency = "FeedDependency" + suffix, package = "FeedPackage" + suffix;
        string feed = Path.Combine(folder.Path, "feed");
        byte[] dependencyAssembly = CompileLibrary(dependency, $"namespace {dependency}; public static class Numbers {{ public static int Six => 6; }}");
        string dependencyPath = Path.Combine(folder.Path, dependency + ".dll");
        File.WriteAllBytes(dependencyPath, dependencyAssembly);
        WritePackage(feed, dependency, "1.0.0", dependencyAssembly);
        WritePackage(feed, package, "2.0.0", CompileLibrary(package,
            $"namespace {package}; public static class Answer {{ public static int Value => {dependency}.Numbers.Six * 7; }}", dependencyPath), dependency);
        File.Delete(dependencyPath); // only the feed holds it now
        string notebook = WriteNotebook(folder.Path, "feed.ipynb",
            $"#i \"nuget: feed\"\n#r \"nuget: {package}, 2.0.0\"\nConsole.WriteLine({package}.Answer.Value + {dependency}.Numbers.Six);");

        var run = await new NotebookRunner(new PackageResolver(Path.Combine(folder.Path, "extracted"))).RunAsync(notebook);

        Assert.Equal("48\n", Text(run.Cells[0]));
    }
}
