using System.IO.Compression;
using System.Xml.Linq;

namespace AutoDiffRnn.Notebooks;

/// <summary>The packed packages are good NuGet citizens: every dependency a version range open upwards, never an exact pin.</summary>
public class PackageTests
{
    [Theory]
    [InlineData("AutoDiffRnn", new[] { "System.Numerics.Tensors" })]
    [InlineData("AutoDiffRnn.Onnx", new[] { "AutoDiffRnn", "Google.Protobuf", "Microsoft.ML.OnnxRuntime", "Microsoft.ML.OnnxRuntime.Managed", "OnnxSharp" })]
    [InlineData("AutoDiffRnn.FSharp", new[] { "AutoDiffRnn", "FSharp.Core" })]
    [InlineData("AutoDiffRnn.FSharp.Torch", new[] { "AutoDiffRnn", "AutoDiffRnn.FSharp", "FSharp.Core", "TorchSharp-cpu" })]
    public void Packed_dependencies_are_ranges_not_pins(string id, string[] expectedDependencies)
    {
        NotebookTool.Packed();
        var dependencies = DependenciesOf(id);
        Assert.Equal(expectedDependencies.Order(), dependencies.Select(d => d.Id).Order());
        foreach (var (dependency, version) in dependencies)
            Assert.False(IsExactPin(version), $"{id}.nupkg pins {dependency} to exactly {version}: a consumer on another version gets NU1608 or a conflict");
    }

    [Theory]
    [InlineData("[10.0.0]", true)]
    [InlineData("[ 10.0.112 ]", true)]
    [InlineData("10.0.0", false)]
    [InlineData("[10.0.0, 11.0.0)", false)]
    public void An_exact_pin_is_recognised(string version, bool pinned) => Assert.Equal(pinned, IsExactPin(version));

    private static bool IsExactPin(string version) => version.Trim() is ['[', .., ']'] trimmed && !trimmed.Contains(',');

    /// <summary>The (id, version) of each dependency in the nuspec of the one package <paramref name="id"/> in notebooks/packages.</summary>
    public static List<(string Id, string Version)> DependenciesOf(string id)
    {
        var packages = Directory.GetFiles(RepositoryPaths.Packages, $"{id}.0.*.nupkg");
        Assert.True(packages.Length == 1, $"expected one {id} package in {RepositoryPaths.Packages}, found {packages.Length}");
        using var archive = ZipFile.OpenRead(packages[0]);
        var entry = archive.Entries.Single(e => e.FullName == $"{id}.nuspec");
        using var stream = entry.Open();
        return XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!)).ToList();
    }
}
