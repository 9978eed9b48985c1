using AutoDiffRnn.Notebooks.Runner.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>
/// C# cells through Roslyn scripting, the engine .NET Interactive's C# kernel is built on: the first submission is
/// <see cref="CSharpScript.RunAsync(string, ScriptOptions, object, Type, CancellationToken)"/>, each later one continues
/// its state (<see cref="ScriptState.ContinueWithAsync(string, ScriptOptions, CancellationToken)"/>), so variables,
/// functions and types carry over from cell to cell. Every submission references the shared framework and the runner's
/// display API, and imports System, System.IO, System.Linq, System.Collections.Generic, System.Text, System.Threading.Tasks
/// and <c>display(...)</c> / <c>HTML(...)</c> / <c>.Display()</c>, as in .NET Interactive.
/// </summary>
public sealed class CSharpKernel : INotebookKernel
{
    private static readonly Lazy<MetadataReference[]> frameworkReferences = new(() =>
    {
        string frameworkFolder = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkFolder, StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray();
    });

    private ScriptOptions options;
    private ScriptState<object>? state;

    /// <summary>Starts a session whose <c>#r</c> and <c>#load</c> paths are relative to <paramref name="notebookFolder"/>.</summary>
    public CSharpKernel(string notebookFolder)
    {
        options = ScriptOptions.Default
            .WithReferences(frameworkReferences.Value)
            .AddReferences(typeof(NotebookDisplay).Assembly)
            .WithImports(
                "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Text", "System.Threading.Tasks",
                typeof(NotebookDisplay).Namespace!, typeof(NotebookDisplay).FullName!)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(notebookFolder))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(notebookFolder))
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8);
    }

    /// <inheritdoc />
    public string Name => KernelNames.CSharp;

    /// <inheritdoc />
    public void AddReferences(IReadOnlyList<ResolvedAssembly> assemblies)
    {
        foreach (var assembly in assemblies)
            options = assembly.Loaded is not null ? options.AddReferences(assembly.Loaded) : options.AddReferences(assembly.Path);
    }

    /// <inheritdoc />
    public async Task<SubmissionResult> ExecuteAsync(string code, string displayName)
    {
        var submissionOptions = options.WithFilePath(displayName);
        try
        {
            state = state is null
                ? await CSharpScript.RunAsync(code, submissionOptions)
                : await state.ContinueWithAsync(code, submissionOptions);
            return SubmissionResult.Success(state.ReturnValue);
        }
        catch (CompilationErrorException error)
        {
            return SubmissionResult.CompilationFailed(error.Diagnostics.Select(diagnostic => diagnostic.ToString()));
        }
        catch (Exception exception)
        {
            return SubmissionResult.Threw(exception);
        }
    }

    /// <inheritdoc />
    public void Dispose() => state = null;
}
