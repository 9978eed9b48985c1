namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>One language session of a notebook run: code submitted to it sees everything earlier submissions defined.</summary>
public interface INotebookKernel : IDisposable
{
    /// <summary>The normalized kernel name (<see cref="KernelNames"/>).</summary>
    string Name { get; }

    /// <summary>Makes the assemblies available to the code submitted from now on.</summary>
    void AddReferences(IReadOnlyList<ResolvedAssembly> assemblies);

    /// <summary>Compiles and runs one submission; <paramref name="displayName"/> names it in diagnostics and stack traces.</summary>
    Task<SubmissionResult> ExecuteAsync(string code, string displayName);
}

/// <summary>How a submission ended.</summary>
/// <param name="Succeeded">True when it compiled and ran without throwing.</param>
/// <param name="ReturnValue">The value of the submission's last expression, when it has one (null otherwise).</param>
/// <param name="Error">For a failure: the compiler diagnostics or the exception, as text.</param>
public sealed record SubmissionResult(bool Succeeded, object? ReturnValue, string? Error)
{
    /// <summary>A submission that ran; <paramref name="returnValue"/> is its value, if any.</summary>
    public static SubmissionResult Success(object? returnValue) => new(true, returnValue, null);

    /// <summary>A submission that did not compile.</summary>
    public static SubmissionResult CompilationFailed(IEnumerable<string> diagnostics) =>
        new(false, null, "compilation failed:\n" + string.Join("\n", diagnostics));

    /// <summary>A submission that threw.</summary>
    public static SubmissionResult Threw(Exception exception) => new(false, null, exception.ToString());
}
