namespace AutoDiffRnn.Tests.Support;

/// <summary>Bytes the whole process allocates (all threads), for the tests of <see cref="AllocationCollection"/>.</summary>
public static class AllocatedBytes
{
    /// <summary>Mean bytes allocated by the whole process per call of <paramref name="call"/> (given its index), over
    /// <paramref name="count"/> calls after <paramref name="warmUp"/> calls that are not counted.</summary>
    public static double PerCall(Action<int> call, int count, int warmUp = 0)
    {
        for (int i = 0; i < warmUp; i++) call(i);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < count; i++) call(warmUp + i);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)count;
    }
}
