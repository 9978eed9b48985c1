using System.Text;
using System.Text.RegularExpressions;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>A package a cell asks for with <c>#r "nuget: Name, Version"</c> (version optional).</summary>
/// <param name="Name">The package id.</param>
/// <param name="Version">The version as written, or null when the directive gives none.</param>
public sealed record PackageRequest(string Name, string? Version)
{
    /// <inheritdoc />
    public override string ToString() => Version is null ? Name : $"{Name}, {Version}";
}

/// <summary>
/// The part of a code cell that one kernel runs, with the directives the runner handles itself taken out
/// (their lines are left blank so that line numbers in diagnostics still match the cell).
/// </summary>
/// <param name="Kernel">The normalized kernel name (<c>csharp</c>, <c>fsharp</c>, ...).</param>
/// <param name="Code">The code to submit; lines before the segment and directive lines are blank.</param>
/// <param name="Packages">The <c>#r "nuget: ..."</c> requests, in order.</param>
/// <param name="PackageSources">The <c>#i "nuget: source"</c> sources, resolved to full paths when they are local folders.</param>
/// <param name="AssemblyPaths">The <c>#r "file.dll"</c> references, resolved to full paths.</param>
public sealed record CellSegment(
    string Kernel, string Code, IReadOnlyList<PackageRequest> Packages, IReadOnlyList<string> PackageSources, IReadOnlyList<string> AssemblyPaths)
{
    /// <summary>True when the segment has code to run besides directives.</summary>
    public bool HasCode => Code.Trim().Length > 0;
}

/// <summary>
/// Splits a code cell into kernel segments and extracts the directives, as .NET Interactive does before it submits code:
/// <list type="bullet">
/// <item><c>#!csharp</c>, <c>#!fsharp</c> (also <c>#!c#</c>, <c>#!f#</c>) switch the kernel for the following lines;
/// any other magic command (<c>#!time</c>, <c>#!share</c>, ...) is rejected: the runner does not implement it.</item>
/// <item><c>#r "nuget: Name, Version"</c> asks for a package, <c>#i "nuget: source"</c> adds a package source.</item>
/// <item><c>#r "path/to.dll"</c> references an assembly; a relative path is relative to the notebook's folder.</item>
/// </list>
/// </summary>
public static partial class CellSource
{
    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<spec>[^"]*)"\s*(//.*)?$""")]
    private static partial Regex PackageDirective();

    [GeneratedRegex("""^\s*#i\s+"(nuget:\s*)?(?<source>[^"]*)"\s*(//.*)?$""")]
    private static partial Regex SourceDirective();

    [GeneratedRegex("""^\s*#r\s+@?"(?<path>[^"]*)"\s*(//.*)?$""")]
    private static partial Regex AssemblyDirective();

    [GeneratedRegex("""^\s*#!(?<name>\S+)""")]
    private static partial Regex MagicCommand();

    /// <summary>
    /// Splits <paramref name="source"/> into segments; <paramref name="cellKernel"/> is the kernel the metadata gives the cell,
    /// <paramref name="notebookFolder"/> the folder relative paths start from. Throws <see cref="NotSupportedException"/> for
    /// directives the runner cannot honour and <see cref="FileNotFoundException"/> for a missing <c>#r</c> file.
    /// </summary>
    public static IReadOnlyList<CellSegment> Split(string source, string? cellKernel, string notebookFolder)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var segments = new List<CellSegment>();
        string? kernel = cellKernel;
        var code = new StringBuilder();
        var packages = new List<PackageRequest>();
        var sources = new List<string>();
        var assemblies = new List<string>();

        void Finish()
        {
            if (code.ToString().Trim().Length > 0 || packages.Count + sources.Count + assemblies.Count > 0)
            {
                if (kernel is null)
                    throw new NotSupportedException(
                        "the cell names no kernel: neither its metadata (polyglot_notebook.kernelName), a #!csharp / #!fsharp line, " +
                        "nor the notebook's metadata (polyglot_notebook.kernelInfo.defaultKernelName, kernelspec.name) says which language it is");
                segments.Add(new CellSegment(kernel, code.ToString(), packages.ToArray(), sources.ToArray(), assemblies.ToArray()));
            }
            code.Clear();
            packages.Clear();
            sources.Clear();
            assemblies.Clear();
        }

        for (int lineIndex = 0; lineIndex < lines.Length; lineIndex++)
        {
            string line = lines[lineIndex];
            Match match;
            if ((match = MagicCommand().Match(line)).Success)
            {
                string name = match.Groups["name"].Value;
                string? switchTo = KernelNames.Normalize(name);
                if (switchTo is not (KernelNames.CSharp or KernelNames.FSharp or "markdown"))
                    throw new NotSupportedException(
                        $"line {lineIndex + 1}: the magic command '#!{name}' is not supported by the headless notebook runner " +
                        "(it understands #!csharp and #!fsharp)");
                Finish();
                kernel = switchTo;
                // Keep the following lines at their line numbers within the cell.
                code.Append('\n', lineIndex + 1);
                continue;
            }
            if ((match = PackageDirective().Match(line)).Success)
                packages.Add(ParsePackage(match.Groups["spec"].Value, lineIndex));
            else if ((match = SourceDirective().Match(line)).Success)
                sources.Add(ResolveSource(match.Groups["source"].Value.Trim(), notebookFolder));
            else if ((match = AssemblyDirective().Match(line)).Success)
                assemblies.Add(ResolveAssembly(match.Groups["path"].Value.Trim(), notebookFolder, lineIndex));
            else
            {
                code.Append(line);
                if (lineIndex < lines.Length - 1) code.Append('\n');
                continue;
            }
            code.Append('\n'); // the directive's line stays, blank
        }
        Finish();
        return segments.Where(segment => segment.Kernel != "markdown").ToArray();
    }

    private static PackageRequest ParsePackage(string specification, int lineIndex)
    {
        var parts = specification.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || parts[0].Length == 0 || (parts.Length == 2 && parts[1].Length == 0))
            throw new NotSupportedException(
                $"line {lineIndex + 1}: cannot read the package directive '#r \"nuget: {specification}\"': expected \"nuget: Name\" or \"nuget: Name, Version\"");
        return new PackageRequest(parts[0], parts.Length == 2 ? parts[1] : null);
    }

    private static string ResolveSource(string source, string notebookFolder)
    {
        if (source.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            return new Uri(source).LocalPath;
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            return source; // kept for messages; the runner is offline and resolves only from local folders
        return Path.GetFullPath(Path.Combine(notebookFolder, source));
    }

    private static string ResolveAssembly(string path, string notebookFolder, int lineIndex)
    {
        string fullPath = Path.GetFullPath(Path.Combine(notebookFolder, path));
        return File.Exists(fullPath)
            ? fullPath
            : throw new FileNotFoundException(
                $"line {lineIndex + 1}: #r \"{path}\": no such file {fullPath} (a relative path is relative to the notebook's folder)", fullPath);
    }
}
