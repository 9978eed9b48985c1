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

    /// <summary>The test data copied next to the test assembly.</summary>
    public static string TestData => Path.Combine(AppContext.BaseDirectory, "TestData");

    /// <summary>Where executed notebooks (with outputs) are written: next to the test assembly.</summary>
    public static string Executed => Path.Combine(AppContext.BaseDirectory, "executed");
}
