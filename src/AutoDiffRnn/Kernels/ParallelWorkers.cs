using System.Diagnostics;

namespace AutoDiffRnn.Kernels;

/// <summary>
/// The helper threads of <see cref="ParallelParts"/>: one dedicated background thread per core beyond the first, each running one work
/// item at a time. After an item a worker keeps watching for the next one for <see cref="SpinMicroseconds"/> before it blocks, so the
/// fork of a training step that splits one product after another finds its helper awake: no thread-pool queue, no wake-up of a blocked
/// thread (which costs tens of microseconds, and on a virtual machine whose idle virtual CPU the hypervisor has descheduled, far more).
/// The same few threads run every split, so the per-thread state the parts keep (the GEMM packing buffers) is allocated once.
/// </summary>
internal static class ParallelWorkers
{
    /// <summary>How long a worker watches for its next item before it blocks.</summary>
    internal const int SpinMicroseconds = 200;

    private static readonly Worker[] Workers = Enumerable.Range(0, Math.Max(0, Environment.ProcessorCount - 1))
        .Select(index => new Worker(index)).ToArray();

    /// <summary>Dedicated worker threads (cores − 1).</summary>
    public static int Count => Workers.Length;

    /// <summary>Hands <paramref name="item"/> to an idle worker and returns true, or returns false when every worker is busy or the
    /// caller's tuning turns the workers off (<see cref="KernelTuning.DedicatedWorkers"/>).</summary>
    public static bool TryStart(IThreadPoolWorkItem item)
    {
        if (!KernelTuning.Current.DedicatedWorkers) return false;
        foreach (var worker in Workers)
            if (worker.TryStart(item)) return true;
        return false;
    }

    private sealed class Worker
    {
        private static readonly long SpinTicks = SpinMicroseconds * Stopwatch.Frequency / 1_000_000;
        private readonly SemaphoreSlim wake = new(0);
        private IThreadPoolWorkItem? item;
        private int busy;     // 1 from a successful TryStart until the item has run
        private int sleeping; // 1 while the worker is blocked (or about to block) on wake

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"AutoDiffRnn parallel parts {index + 1}" };
            thread.UnsafeStart(); // no execution context flows from whoever first touched the workers
        }

        public bool TryStart(IThreadPoolWorkItem work)
        {
            if (Volatile.Read(ref busy) != 0 || Interlocked.CompareExchange(ref busy, 1, 0) != 0) return false;
            Volatile.Write(ref item, work);
            if (Interlocked.Exchange(ref sleeping, 0) == 1) wake.Release(); // full fence: the worker sees the item or is woken
            return true;
        }

        private void Loop()
        {
            var clean = ExecutionContext.Capture()!; // the default context: restored after each item, so none keeps a caller's alive
            while (true)
            {
                var work = WaitForItem();
                Volatile.Write(ref item, null);
                try { work.Execute(); }
                catch (Exception exception) { Environment.FailFast("parallel parts: a work item threw", exception); } // items catch their own
                ExecutionContext.Restore(clean);
                Volatile.Write(ref busy, 0);
            }
        }

        private IThreadPoolWorkItem WaitForItem()
        {
            long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            while (true)
            {
                if (Volatile.Read(ref item) is { } work) return work;
                if (Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                Interlocked.Exchange(ref sleeping, 1); // full fence before the last look
                if (Volatile.Read(ref item) is { } late)
                {
                    Interlocked.Exchange(ref sleeping, 0); // a wake already released stays in the semaphore: one spurious turn later
                    return late;
                }
                wake.Wait();
            }
        }
    }
}
