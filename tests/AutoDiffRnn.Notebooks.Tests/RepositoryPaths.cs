namespace AutoDiffRnn.Notebooks;

/// <summary>Folders of the repository, found by walking up from the test assembly to the folder holding AutoDiffRnn.sln.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> root = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "AutoDiffRnn.sln")))
                return directory.FullName;
        throw new InvalidOperationException($"no AutoDiffRnn.sln in {AppContext.BaseDirectory} or any folder above it");
    });

    /// <summary>The repository root.</summary>
    public static string Root => root.Value;

    /// <summary>The <c>notebooks/</c> folder.</summary>
    public static string Notebooks => Path.Combine(Root, "notebooks");

    /// <summary>Where <c>build/notebooks.cs pack</c> writes the three packages (named by <c>notebooks/nuget.config</c>).</summary>
    public static string Packages => Path.Combine(Notebooks, "packages");

    /// <summary>The notebooks' files, in name order.</summary>
    public static string[] NotebookFiles() =>
        Directory.EnumerateFiles(Notebooks, "*.ipynb").Order(StringComparer.Ordinal).ToArray();

    /// <summary>A fresh folder for this test run's scratch files, under the test assembly's folder.</summary>
    public static string Scratch(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "scratch", name);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The configuration this suite was built in; the packages are packed from the same build.</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif
}
