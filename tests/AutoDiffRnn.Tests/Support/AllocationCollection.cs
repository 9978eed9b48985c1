namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// The collection of tests that count the bytes the whole process allocates (<see cref="GC.GetTotalAllocatedBytes"/>, all threads, so
/// the work a step hands to the thread pool counts too): it runs alone, after the parallel tests, so no other test's allocations are
/// counted.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    /// <summary>The collection's name, for <c>[Collection(AllocationCollection.Name)]</c>.</summary>
    public const string Name = "Allocation counting";
}
