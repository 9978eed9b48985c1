using System.Diagnostics;
using System.Reflection;

namespace AutoDiffRnn.Autodiff;

/// <summary>
/// Where the library was called from, for anomaly-mode messages: the innermost library module (e.g. a recurrent layer), if any, and the
/// first frames of the caller's code with file and line (when a .pdb is present).
/// </summary>
internal static class RecordingSite
{
    private static readonly Assembly Library = typeof(Tensor).Assembly;
    private static readonly string[] Internal = ["AutoDiffRnn", "AutoDiffRnn.Autodiff", "AutoDiffRnn.Kernels"];

    public static string Describe(StackTrace trace)
    {
        string? module = null;
        var callers = new List<string>();
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            if (method is null || type is null) continue;
            if (type.Assembly == Library)
            {
                if (callers.Count == 0)
                    module ??= Internal.Contains(OuterType(type).Namespace) ? null : $"{OuterType(type).FullName}.{SourceName(method.Name)}";
                continue;
            }
            string file = frame.GetFileName() is string path ? $" in {path}:line {frame.GetFileLineNumber()}" : "";
            callers.Add($"{OuterType(type).FullName}.{SourceName(method.Name)}{file}");
            if (callers.Count == CallerFrames) break;
        }
        string called = callers.Count == 0 ? "" : "at " + string.Join(", called from ", callers);
        return module is null ? (called.Length > 0 ? called : "inside the library") : $"in {module}" + (called.Length > 0 ? ", called " + called : "");
    }

    private const int CallerFrames = 2;

    /// <summary>"Train" for a lambda or local function compiled as "&lt;Train&gt;b__0_0".</summary>
    private static string SourceName(string name) =>
        name.StartsWith('<') && name.IndexOf('>') is > 1 and var end ? name[1..end] : name;

    private static Type OuterType(Type type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType; // lambdas and local functions live in nested types
        return type;
    }
}
