namespace AutoDiffRnn.Optim;

/// <summary>
/// Gradients held NaN or infinite values where a finite gradient was required (gradient clipping, an optimizer step).
/// <see cref="Parameters"/> names the parameters at fault.
/// </summary>
public sealed class NonFiniteGradientException(string message, IReadOnlyList<string> parameters) : ArithmeticException(message)
{
    /// <summary>The parameters whose gradients are not finite (by name, or "parameter i" with dtype and shape).</summary>
    public IReadOnlyList<string> Parameters { get; } = parameters;
}
