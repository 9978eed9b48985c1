namespace AutoDiffRnn.Autodiff;

/// <summary>
/// Whether operations are being recorded on the tape (per thread). Recording is on by default;
/// <see cref="NoGrad"/> turns it off for a scope, e.g. for inference or optimizer updates.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static bool disabled;

    /// <summary>True when operations on tensors that require gradients are recorded.</summary>
    public static bool IsEnabled => !disabled;

    /// <summary>Stops recording until the returned scope is disposed: <c>using (GradMode.NoGrad()) { ... }</c>.</summary>
    public static IDisposable NoGrad() => Set(enabled: false);

    /// <summary>Records operations until the returned scope is disposed (undoes an enclosing <see cref="NoGrad"/>).</summary>
    public static IDisposable Enable() => Set(enabled: true);

    internal static IDisposable Set(bool enabled)
    {
        var scope = new Scope(previouslyDisabled: disabled);
        disabled = !enabled;
        return scope;
    }

    private sealed class Scope(bool previouslyDisabled) : IDisposable
    {
        public void Dispose() => disabled = previouslyDisabled;
    }
}
