namespace AutoDiffRnn.Notebooks.Consumer;

/// <summary>
/// A consumer outside the solution: a new C# console project and an F# script (dotnet fsi) restore the freshly packed packages from
/// notebooks/packages (and everything else from nuget.org) and run the README's quick starts; their printed results must equal the same
/// code run here against the solution's projects, and the restore must not warn about a dependency version (NU1608, NU1605).
/// </summary>
public class ConsumerCheckTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    public void A_new_CSharp_project_restores_the_packages_and_runs_the_quick_starts()
    {
        NotebookTool.Packed();
        string folder = ConsumerFolder("csharp");
        File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="AutoDiffRnn" Version="0.1.0-local.*" />
                <PackageReference Include="AutoDiffRnn.FSharp" Version="0.1.0-local.*" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(Path.Combine(RepositoryPaths.Root, "tests", "AutoDiffRnn.Notebooks.Tests", "Consumer", "QuickStarts.cs"), Path.Combine(folder, "QuickStarts.cs"));
        File.WriteAllText(Path.Combine(folder, "Program.cs"), "AutoDiffRnn.Notebooks.Consumer.QuickStarts.Run(Console.Out);\n");

        var run = ProcessRunner.Run("dotnet", ["run", "-c", "Release"], folder, Timeout, IsolatedFromTheRepository());

        Assert.True(run.ExitCode == 0, $"the consumer project failed (exit {run.ExitCode}):\n{run.Tail()}");
        AssertNoVersionWarnings(run.Output);
        var expected = new StringWriter();
        QuickStarts.Run(expected);
        var printed = Lines(run.Output);
        foreach (var line in Lines(expected.ToString())) Assert.Contains(line, printed);
        Assert.Contains("gradcheck passed: True", run.Output);
    }

    [Fact]
    public void An_FSharp_script_restores_the_packages_and_runs_GradCheck_and_Diff_grad()
    {
        NotebookTool.Packed();
        string folder = ConsumerFolder("fsharp");
        File.WriteAllText(Path.Combine(folder, "quickstart.fsx"), """
            #r "nuget: AutoDiffRnn.FSharp, 0.1.0-local.*"
            open AutoDiffRnn
            open AutoDiffRnn.FSharp

            let a, b = Tensor.normal 1UL [| 3; 4 |], Tensor.normal 2UL [| 4 |]
            let report =
                GradCase.create "tanh(a*b)" (fun x -> (x[0] * x[1]).Tanh()) (fun x -> Dual.tanh (x[0] * x[1])) [| a; b |]
                |> GradCheck.check
            printfn "gradcheck passed: %b" report.Passed

            let f (x: Tensor) = x *@ x.Transpose(0, 1) |> Tensor.tanh |> Tensor.sum
            let x = Tensor.normal 3UL [| 2; 3 |]
            let g = Diff.grad f x
            printfn "grad: %s" (g.ToDoubleArray() |> Array.map (fun v -> v.ToString("R")) |> String.concat " ")
            """);

        var run = ProcessRunner.Run("dotnet", ["fsi", "quickstart.fsx"], folder, Timeout, IsolatedFromTheRepository());

        Assert.True(run.ExitCode == 0, $"the F# script failed (exit {run.ExitCode}):\n{run.Tail()}");
        AssertNoVersionWarnings(run.Output);
        Assert.Contains("gradcheck passed: true", run.Output);
        // the same gradient through the tape here: f(x) = sum(tanh(x xᵀ))
        var input = Tensor.Normal(new Shape(2, 3), 0.0, 1.0, DType.Float64, new Generator(3)).SetRequiresGrad();
        Tensor.MatMul(input, input.Transpose(0, 1)).Tanh().Sum().Backward();
        string expected = "grad: " + string.Join(" ", input.Grad!.ToDoubleArray().Select(v => v.ToString("R")));
        Assert.Contains(expected, Lines(run.Output));
    }

    /// <summary>A fresh folder outside the repository (no Directory.Build.props or paket above it) with a nuget.config naming the local packages.</summary>
    private static string ConsumerFolder(string name)
    {
        string folder = Path.Combine(Path.GetTempPath(), "autodiffrnn-consumer", $"{name}-{Environment.ProcessId}");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        // NuGet 'dotnet nuget list source' output is parsed by F#'s package manager: the key has no spaces.
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="AutoDiffRnn.LocalPackages" value="{RepositoryPaths.Packages}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        return folder;
    }

    /// <summary>MSBuild settings of this test run (it runs under dotnet test) must not leak into the consumer's build.</summary>
    private static Dictionary<string, string?> IsolatedFromTheRepository() => new()
    {
        ["MSBuildExtensionsPath"] = null, ["MSBuildSDKsPath"] = null, ["MSBUILD_EXE_PATH"] = null, ["MSBuildLoadMicrosoftTargetsReadOnly"] = null,
    };

    private static void AssertNoVersionWarnings(string output)
    {
        foreach (var code in new[] { "NU1608", "NU1605", "NU1107" })
            Assert.False(output.Contains(code), $"restoring the packages warned {code}:\n{output}");
    }

    private static string[] Lines(string text) => text.Split('\n').Select(line => line.TrimEnd('\r').Trim()).Where(line => line.Length > 0).ToArray();
}
