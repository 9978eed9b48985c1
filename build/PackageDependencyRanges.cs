// The MSBuild task of Directory.Build.targets' OpenExactDependencyPins (compiled by RoslynCodeTaskFactory), run after `dotnet pack`.
// Paket's fix-nuspecs writes each dependency of a packed nuspec as an exact pin ("[10.0.0]"), the version paket.lock resolved.
// A library that pins exactly forces its consumers onto that one version (NU1608, or a conflict), so the packed nuspec is
// rewritten in place inside the .nupkg: "[x]" becomes "x", NuGet's "x or newer". Ranges with two ends are left as they are.
using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Microsoft.Build.Framework;

public class AutoDiffRnnOpenExactDependencyPins : Microsoft.Build.Utilities.Task
{
    [Required] public string PackagePath { get; set; } = "";

    public override bool Execute()
    {
        if (!File.Exists(PackagePath))
        {
            Log.LogError($"OpenExactDependencyPins: no package at {PackagePath}");
            return false;
        }
        using var archive = ZipFile.Open(PackagePath, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        XDocument nuspec;
        using (var stream = entry.Open()) nuspec = XDocument.Load(stream);
        int opened = 0;
        foreach (var dependency in nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"))
        {
            var version = dependency.Attribute("version");
            if (version is null) continue;
            string value = version.Value.Trim();
            if (value.StartsWith("[") && value.EndsWith("]") && !value.Contains(','))
            {
                version.Value = value.Substring(1, value.Length - 2).Trim();
                opened++;
            }
        }
        if (opened == 0) return true;
        string name = entry.FullName;
        entry.Delete();
        using (var stream = archive.CreateEntry(name).Open()) nuspec.Save(stream);
        Log.LogMessage(MessageImportance.High, $"{Path.GetFileName(PackagePath)}: {opened} exact dependency pin(s) opened to minimum versions");
        return true;
    }
}
