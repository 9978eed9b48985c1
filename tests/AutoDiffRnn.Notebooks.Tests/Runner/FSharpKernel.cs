using AutoDiffRnn.Notebooks.Runner.Api;
using FSharp.Compiler.Diagnostics;
using FSharp.Compiler.Interactive;
using Microsoft.FSharp.Core;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>
/// F# cells through FSharp.Compiler.Service's hosted F# Interactive (<see cref="Shell.FsiEvaluationSession"/>), the engine
/// of .NET Interactive's F# kernel: one session per notebook, each submission evaluated with
/// <c>EvalInteractionNonThrowing</c>, its error diagnostics collected. The session runs with <c>--noninteractive</c>,
/// references the FSharp.Core the host runs on and the runner's display API, and opens it (so <c>display x</c>,
/// <c>HTML "..."</c> and <c>x.Display()</c> work as in .NET Interactive).
/// </summary>
public sealed class FSharpKernel : INotebookKernel
{
    private readonly Shell.FsiEvaluationSession session;
    private readonly StringWriter compilerOutput = new();
    private readonly StringWriter compilerErrors = new();

    /// <summary>Starts an F# Interactive session.</summary>
    public FSharpKernel()
    {
        string[] arguments =
        [
            "fsi.exe", "--noninteractive", "--nologo", "--gui-", "--optimize+", "--warn:3",
            $"-r:{typeof(FSharpOption<>).Assembly.Location}",
            $"-r:{typeof(NotebookDisplay).Assembly.Location}",
        ];
        var configuration = Shell.FsiEvaluationSession.GetDefaultConfiguration();
        session = Shell.FsiEvaluationSession.Create(
            configuration, arguments, new StringReader(""), compilerOutput, compilerErrors, collectible: null, legacyReferenceResolver: null);
        var opened = Evaluate($"open {typeof(NotebookDisplay).Namespace}\nopen type {typeof(NotebookDisplay).FullName}", "runner setup");
        if (!opened.Succeeded)
            throw new InvalidOperationException($"the F# session could not open the display API: {opened.Error}");
    }

    /// <inheritdoc />
    public string Name => KernelNames.FSharp;

    /// <inheritdoc />
    public void AddReferences(IReadOnlyList<ResolvedAssembly> assemblies)
    {
        foreach (var assembly in assemblies)
        {
            var result = Evaluate($"#r @\"{assembly.Path}\"", "#r");
            if (!result.Succeeded)
                throw new InvalidOperationException($"F#: could not reference {assembly.Path}: {result.Error}");
        }
    }

    /// <inheritdoc />
    public Task<SubmissionResult> ExecuteAsync(string code, string displayName) => Task.FromResult(Evaluate(code, displayName));

    private SubmissionResult Evaluate(string code, string displayName)
    {
        compilerOutput.GetStringBuilder().Clear();
        compilerErrors.GetStringBuilder().Clear();
        var (outcome, diagnostics) = session.EvalInteractionNonThrowing(code, displayName, cancellationToken: null);
        var errors = diagnostics.Where(diagnostic => diagnostic.Severity.IsError).Select(Format).ToArray();
        if (errors.Length > 0)
            return SubmissionResult.CompilationFailed(errors);
        return outcome switch
        {
            FSharpChoice<FSharpOption<Shell.FsiValue>?, Exception>.Choice1Of2 success =>
                SubmissionResult.Success(success.Item is { } value ? value.Value.ReflectionValue : null),
            FSharpChoice<FSharpOption<Shell.FsiValue>?, Exception>.Choice2Of2 failure => SubmissionResult.Threw(failure.Item),
            _ => throw new InvalidOperationException($"F#: unexpected evaluation outcome {outcome}"),
        };
    }

    private static string Format(FSharpDiagnostic diagnostic) =>
        $"{diagnostic.FileName}({diagnostic.StartLine},{diagnostic.StartColumn + 1}): error FS{diagnostic.ErrorNumber:0000}: {diagnostic.Message}";

    /// <inheritdoc />
    public void Dispose() => ((IDisposable)session).Dispose();
}
