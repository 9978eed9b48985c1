using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>An assembly a package resolved to: its file, and the assembly object when it is loaded in this process.</summary>
/// <param name="Path">The full path of the .dll.</param>
/// <param name="Loaded">The loaded assembly (for packages the test project itself references), else null.</param>
public sealed record ResolvedAssembly(string Path, Assembly? Loaded);

/// <summary>
/// Resolves <c>#r "nuget: Name, Version"</c> without a network, in this order:
/// <list type="number">
/// <item>The test project's own dependencies: a package whose id names an assembly in the test output folder (for example
/// <c>AutoDiffRnn</c>, built from <c>src/</c> by the project reference) resolves to that assembly, already loaded, with its
/// dependencies from the same folder. The requested version must match the assembly's version (its informational version
/// without the <c>+commit</c> suffix), so that notebooks follow the version <c>dotnet pack</c> writes; a version with
/// <c>*</c> or a range is accepted as is.</item>
/// <item>Local package sources given with <c>#i "nuget: folder"</c>: a <c>Name.Version.nupkg</c> there (the highest version
/// when none is requested) is extracted under the test output and its <c>lib/</c> assemblies for the best target framework
/// are referenced, with its dependencies resolved the same way.</item>
/// </list>
/// Anything else (nuget.org) is reported as unresolvable: the runner is offline by design.
/// </summary>
public sealed class PackageResolver
{
    private static readonly string[] FrameworkPreference =
    [
        "net10.0", "net9.0", "net8.0", "net7.0", "net6.0", "net5.0", "netcoreapp3.1", "netcoreapp3.0",
        "netstandard2.1", "netstandard2.0", "netstandard1.6", "netstandard1.3", "netstandard1.0", "",
    ];

    private readonly string hostFolder;
    private readonly string extractionFolder;
    private readonly Dictionary<string, string> hostAssemblies;

    /// <summary>Creates a resolver over the test output folder; extracted packages go to <paramref name="extractionFolder"/>.</summary>
    public PackageResolver(string? extractionFolder = null)
    {
        hostFolder = Path.GetFullPath(AppContext.BaseDirectory);
        this.extractionFolder = extractionFolder ?? Path.Combine(hostFolder, "notebook-packages");
        hostAssemblies = Directory.EnumerateFiles(hostFolder, "*.dll")
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), path => path, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The assemblies to reference for <paramref name="request"/>, given the package sources the notebook declared so far;
    /// throws <see cref="InvalidOperationException"/> explaining what was looked at when the package cannot be found.
    /// </summary>
    public IReadOnlyList<ResolvedAssembly> Resolve(PackageRequest request, IReadOnlyList<string> sources)
    {
        var result = new List<ResolvedAssembly>();
        Resolve(request, sources, result, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
        return result;
    }

    private void Resolve(PackageRequest request, IReadOnlyList<string> sources, List<ResolvedAssembly> result, HashSet<string> seen)
    {
        if (!seen.Add(request.Name)) return;
        if (hostAssemblies.TryGetValue(request.Name, out var hostPath))
        {
            var assembly = Assembly.Load(AssemblyName.GetAssemblyName(hostPath));
            string version = PackageVersionOf(assembly);
            if (!VersionMatches(request.Version, version))
                throw new InvalidOperationException(
                    $"#r \"nuget: {request}\": the repository builds {request.Name} {version}; change the directive to " +
                    $"#r \"nuget: {request.Name}, {version}\" (the version `dotnet pack` writes, set in Directory.Build.props)");
            AddWithHostDependencies(assembly, result);
            return;
        }

        var localFolders = sources.Where(Directory.Exists).ToArray();
        var package = localFolders.SelectMany(folder => PackagesIn(folder, request.Name))
            .Where(candidate => request.Version is null || VersionMatches(request.Version, candidate.Version))
            .OrderByDescending(candidate => candidate.SortKey)
            .FirstOrDefault();
        if (package is null)
            throw new InvalidOperationException(
                $"#r \"nuget: {request}\": not found. The headless runner resolves packages offline: from the assemblies of the test " +
                $"project ({hostFolder}) and from local package folders declared with #i \"nuget: <folder>\" " +
                $"({(sources.Count == 0 ? "none declared" : string.Join(", ", sources))}). " +
                "Add the package to tests/AutoDiffRnn.Notebooks.Tests/paket.references, or put its .nupkg in a local source.");

        var (folder, dependencies) = Extract(package);
        foreach (var dll in Directory.EnumerateFiles(folder, "*.dll").Order(StringComparer.Ordinal))
            result.Add(new ResolvedAssembly(dll, null));
        foreach (var dependency in dependencies)
            Resolve(new PackageRequest(dependency, null), sources, result, seen);
    }

    private void AddWithHostDependencies(Assembly assembly, List<ResolvedAssembly> result)
    {
        if (result.Any(existing => existing.Path == assembly.Location)) return;
        result.Add(new ResolvedAssembly(assembly.Location, assembly));
        foreach (var reference in assembly.GetReferencedAssemblies())
            if (reference.Name is not null && hostAssemblies.ContainsKey(reference.Name))
                AddWithHostDependencies(Assembly.Load(reference), result);
    }

    /// <summary>The package version an assembly was built as: informational version without build metadata, else its version.</summary>
    public static string PackageVersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// Whether a requested version (null: any; with <c>*</c>: floating; <c>[..]</c>/<c>(..)</c>: a range, not checked)
    /// accepts an available one. "1.2" and "1.2.0" are the same version.
    /// </summary>
    public static bool VersionMatches(string? requested, string available)
    {
        if (requested is null || requested.StartsWith('[') || requested.StartsWith('(')) return true;
        int star = requested.IndexOf('*');
        if (star >= 0) return available.StartsWith(requested[..star].TrimEnd('-'), StringComparison.OrdinalIgnoreCase);
        if (string.Equals(requested, available, StringComparison.OrdinalIgnoreCase)) return true;
        return Version.TryParse(Pad(requested), out var left) && Version.TryParse(Pad(available), out var right) && left == right;

        static string Pad(string version) => version.Count(character => character == '.') switch { 0 => version + ".0.0", 1 => version + ".0", _ => version };
    }

    private sealed record PackageFile(string Path, string Id, string Version)
    {
        public (Version, string) SortKey => (System.Version.TryParse(Version.Split('-')[0], out var parsed) ? parsed : new Version(0, 0), Version);
    }

    private static IEnumerable<PackageFile> PackagesIn(string folder, string id)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "*.nupkg"))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.Length > id.Length + 1 && name.StartsWith(id + ".", StringComparison.OrdinalIgnoreCase) && char.IsDigit(name[id.Length + 1]))
                yield return new PackageFile(path, id, name[(id.Length + 1)..]);
        }
    }

    /// <summary>Extracts a package (again when the .nupkg is newer) and returns its best lib folder and dependency ids.</summary>
    private (string LibFolder, IReadOnlyList<string> Dependencies) Extract(PackageFile package)
    {
        string target = Path.Combine(extractionFolder, package.Id.ToLowerInvariant(), package.Version.ToLowerInvariant());
        string marker = Path.Combine(target, ".extracted");
        if (!File.Exists(marker) || File.GetLastWriteTimeUtc(marker) < File.GetLastWriteTimeUtc(package.Path))
        {
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            ZipFile.ExtractToDirectory(package.Path, target);
            File.WriteAllText(marker, package.Path);
        }

        string libFolder = Path.Combine(target, "lib");
        string? framework = FrameworkPreference.FirstOrDefault(tfm =>
            Directory.Exists(Path.Combine(libFolder, tfm)) && Directory.EnumerateFiles(Path.Combine(libFolder, tfm), "*.dll").Any());
        if (framework is null)
            throw new InvalidOperationException($"{package.Path}: no lib/ folder with assemblies for .NET 10 (looked for {string.Join(", ", FrameworkPreference[..^1])})");

        var nuspec = Directory.EnumerateFiles(target, "*.nuspec").FirstOrDefault();
        var dependencies = new List<string>();
        if (nuspec is not null)
        {
            var document = XDocument.Load(nuspec);
            var dependencyElements = document.Descendants().Where(element => element.Name.LocalName == "dependencies").ToArray();
            var groups = dependencyElements.Elements().Where(element => element.Name.LocalName == "group").ToArray();
            IEnumerable<XElement> chosen = groups.Length == 0
                ? dependencyElements.Elements()
                : (groups.FirstOrDefault(group => NormalizeFramework((string?)group.Attribute("targetFramework")) == framework)
                   ?? groups.FirstOrDefault(group => group.Attribute("targetFramework") is null))?.Elements() ?? [];
            dependencies.AddRange(chosen.Where(element => element.Name.LocalName == "dependency")
                .Select(element => (string?)element.Attribute("id")).OfType<string>());
        }
        return (Path.Combine(libFolder, framework), dependencies);
    }

    private static string NormalizeFramework(string? targetFramework)
    {
        string value = (targetFramework ?? "").ToLowerInvariant();
        if (value.StartsWith(".netstandard", StringComparison.Ordinal)) return "netstandard" + value[".netstandard".Length..];
        if (value.StartsWith(".netcoreapp", StringComparison.Ordinal))
        {
            string version = value[".netcoreapp".Length..];
            return double.TryParse(version, System.Globalization.CultureInfo.InvariantCulture, out var number) && number >= 5 ? "net" + version : "netcoreapp" + version;
        }
        return value;
    }
}
