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

    /// <summary>Each part of a call waits (at most 5 s) until the other part has started, and notes whether it did: both parts then ran
    /// at the same time, so a helper took one. Without a partner (no helper) the call still completes, noting false, after the wait.</summary>
    private readonly struct MeetThePartner(bool meet, int[] started, bool[] met) : IParallelBody
    {
        public void Run(int part)
        {
            Interlocked.Increment(ref started[part]);
            if (!meet) return;
            var partner = started;
            met[part] = SpinWait.SpinUntil(() => Volatile.Read(ref partner[1 - part]) > 0, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>A helper queued to a starved thread pool for one call, and not started, must not keep an idle dedicated worker from
    /// helping the next calls (it once did: the waiting helper counted as the next call's helper, and the caller ran every part alone).
    /// The starved pool is simulated deterministically: its helpers are held until the end of the test.</summary>
    [Fact]
    public void AHelperWaitingInAStarvedThreadPoolDoesNotKeepAnIdleWorkerFromHelping()
    {
        if (ParallelWorkers.Count == 0) return; // one core: no helper at all (the calling thread runs every part)
        var held = new List<IThreadPoolWorkItem>();
        using (ParallelParts.HoldThreadPoolHelpers(held))
        {
            using (KernelTuning.Use(KernelTuning.Current with { DedicatedWorkers = false })) // every worker "busy": the helper waits in the pool
                ParallelParts.Run(2, new MeetThePartner(meet: false, new int[2], new bool[2]));
            Assert.Single(held);

            // the next calls of the same thread, body type and depth (the same work item): an idle worker must take the other part
            // (three tries: a worker may still be finishing an earlier test's item at the first)
            bool helped = false;
            for (int call = 0; call < 3 && !helped; call++)
            {
                var met = new bool[2];
                ParallelParts.Run(2, new MeetThePartner(meet: true, new int[2], met));
                helped = met[0] && met[1];
            }
            Assert.True(helped, "the caller ran both parts alone: the helper waiting in the thread pool kept the idle worker out");
        }
    }
}
