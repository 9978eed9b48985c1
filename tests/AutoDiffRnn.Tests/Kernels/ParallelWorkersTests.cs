using AutoDiffRnn.Kernels;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>
/// An idle dedicated worker (<see cref="ParallelWorkers"/>) is the helper of a fork-join. The test runs alone (after the parallel tests):
/// while other tests keep the workers busy, helpers go to the thread pool, and a pool starved by tests running in parallel may leave the
/// one helper a call has queued unstarted for longer than the test runs (CI saw no worker in 200 calls).
/// </summary>
[Collection(RunsAloneCollection.Name)]
public class ParallelWorkersTests
{
    private readonly struct NoteThreads(string?[] names) : IParallelBody
    {
        public void Run(int part)
        {
            names[part] = Thread.CurrentThread.Name;
            Thread.SpinWait(20_000); // long enough for the helper to take the other part
        }
    }

    [Fact]
    public void AnIdleDedicatedWorkerIsTheHelper()
    {
        if (ParallelWorkers.Count == 0) return; // one core: no helper at all (the calling thread runs every part)
        // a worker still finishing an earlier test's item sends the helper to the thread pool: one call of many must get a worker
        bool workerHelped = false;
        for (int call = 0; call < 200 && !workerHelped; call++)
        {
            var names = new string?[2];
            ParallelParts.Run(2, new NoteThreads(names));
            workerHelped = names.Any(name => name?.StartsWith("AutoDiffRnn parallel parts", StringComparison.Ordinal) == true);
        }
        Assert.True(workerHelped, "no part ran on a dedicated worker thread in 200 calls");
    }
}
