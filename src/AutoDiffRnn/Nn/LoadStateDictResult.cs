namespace AutoDiffRnn.Nn;

/// <summary>
/// What <see cref="Module.LoadStateDict"/> did, as PyTorch's <c>load_state_dict</c> returns <c>missing_keys</c> and <c>unexpected_keys</c>.
/// </summary>
/// <param name="LoadedKeys">The parameters whose values were copied from the state, in parameter order.</param>
/// <param name="MissingKeys">The module's parameters the state did not hold (they keep their values).</param>
/// <param name="UnexpectedKeys">The state's names that are no parameter of the module (ignored), in ordinal order.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> LoadedKeys, IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when every parameter was loaded and nothing was left over.</summary>
    public bool IsComplete => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>A one-line summary: counts, then the missing and unexpected names.</summary>
    public override string ToString() =>
        $"loaded {LoadedKeys.Count}, missing {MissingKeys.Count} [{string.Join(", ", MissingKeys)}], " +
        $"unexpected {UnexpectedKeys.Count} [{string.Join(", ", UnexpectedKeys)}]";
}
