using System.Reflection;

namespace AutoDiffRnn;

/// <summary>
/// Marks the class that defines one differentiable operation (its shape rule, forward kernel and vector-Jacobian
/// product, side by side). <see cref="Operations.Names"/> lists them, so checkers can prove every op is covered.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class OperationAttribute(string name) : Attribute
{
    /// <summary>The operation's name, as recorded on the tape and used in error messages.</summary>
    public string Name { get; } = name;
}

/// <summary>The catalogue of differentiable operations defined in this library.</summary>
public static class Operations
{
    private static readonly Lazy<string[]> names = new(() =>
        typeof(OperationAttribute).Assembly.GetTypes()
            .SelectMany(type => type.GetCustomAttributes<OperationAttribute>())
            .Select(attribute => attribute.Name)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray());

    /// <summary>The names of every differentiable operation, sorted.</summary>
    public static IReadOnlyList<string> Names => names.Value;
}
