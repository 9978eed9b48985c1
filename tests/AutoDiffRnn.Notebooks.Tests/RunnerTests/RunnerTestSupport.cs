using System.IO.Compression;
using System.Text.Json.Nodes;
using AutoDiffRnn.Notebooks.Runner;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AutoDiffRnn.Notebooks.RunnerTests;

/// <summary>Runs the notebooks of TestData/ and builds notebooks, assemblies and packages in temporary folders.</summary>
internal static class RunnerTestSupport
{
    public static Task<NotebookRun> Run(string testDataNotebook) =>
        new NotebookRunner().RunAsync(Path.Combine(RepositoryPaths.TestData, testDataNotebook));

    public static Task<NotebookCellFailedException> Fails(string testDataNotebook) =>
        Assert.ThrowsAsync<NotebookCellFailedException>(() => Run(testDataNotebook));

    /// <summary>All text outputs of a cell (console text, displayed text, results), concatenated.</summary>
    public static string Text(CellRun run) =>
        string.Concat(run.Outputs.Where(output => output.MimeType == "text/plain").Select(output => output.Text));

    /// <summary>Writes a C# notebook whose code cells hold the given sources (a source starting with "fsharp:" is an F# cell).</summary>
    public static string WriteNotebook(string folder, string name, params string[] sources)
    {
        var cells = new JsonArray();
        foreach (var source in sources)
        {
            string kernel = source.StartsWith("fsharp:", StringComparison.Ordinal) ? "fsharp" : "csharp";
            string code = kernel == "fsharp" ? source["fsharp:".Length..] : source;
            cells.Add(new JsonObject
            {
                ["cell_type"] = "code",
                ["execution_count"] = null,
                ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel } },
                ["outputs"] = new JsonArray(),
                ["source"] = code,
            });
        }
        var document = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["polyglot_notebook"] = new JsonObject
                {
                    ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = "csharp", ["items"] = new JsonArray(new JsonObject { ["name"] = "csharp" }) },
                },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, document.ToJsonString());
        return path;
    }

    /// <summary>Compiles C# source into a library assembly.</summary>
    public static byte[] CompileLibrary(string assemblyName, string source, params string[] referencePaths)
    {
        string frameworkFolder = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = Directory.EnumerateFiles(frameworkFolder, "*.dll")
            .Where(path => ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Contains(path, StringComparison.Ordinal))
            .Concat(referencePaths)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(assemblyName, [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return stream.ToArray();
    }

    /// <summary>Writes <c>id.version.nupkg</c> holding <c>lib/net10.0/id.dll</c> and a nuspec with the given dependencies.</summary>
    public static void WritePackage(string feed, string id, string version, byte[] assembly, params string[] dependencies)
    {
        Directory.CreateDirectory(feed);
        using var zip = ZipFile.Open(Path.Combine(feed, $"{id}.{version}.nupkg"), ZipArchiveMode.Create);
        using (var writer = new StreamWriter(zip.CreateEntry($"{id}.nuspec").Open()))
            writer.Write($"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata>
                    <id>{id}</id>
                    <version>{version}</version>
                    <authors>test</authors>
                    <description>test package</description>
                    <dependencies>
                      <group targetFramework="net10.0">
                        {string.Concat(dependencies.Select(dependency => $"<dependency id=\"{dependency}\" version=\"1.0.0\" />"))}
                      </group>
                    </dependencies>
                  </metadata>
                </package>
                """);
        using var dll = zip.CreateEntry($"lib/net10.0/{id}.dll").Open();
        dll.Write(assembly);
    }
}

/// <summary>A temporary folder deleted at the end of the test.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autodiffrnn-notebook-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a loaded assembly may still be mapped; the OS temp cleaner gets it */ }
    }
}
