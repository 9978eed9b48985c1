namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// The collection of tests that need the machine's threads to themselves (the dedicated parallel-parts workers idle, the thread pool not
/// starved by other tests): it runs alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    /// <summary>The collection's name, for <c>[Collection(RunsAloneCollection.Name)]</c>.</summary>
    public const string Name = "Runs alone";
}
