using System.Runtime.ExceptionServices;

namespace AutoDiffRnn.Kernels;

/// <summary>The work of one part of a <see cref="ParallelParts.Run{TBody}"/> call: a struct holding what every part reads.</summary>
internal interface IParallelBody
{
    /// <summary>Runs part <paramref name="part"/>; called concurrently for different parts on the same value.</summary>
    void Run(int part);
}

/// <summary>
/// Fork-join over a few parts (a product split over the cores, a recurrence's workers) without garbage: unlike <c>Parallel.For</c> with a
/// lambda (a closure, a delegate and the loop's own tasks per call), the body is a struct copied into a work item that each thread reuses
/// from call to call, and the helpers are handed that work item (<see cref="IThreadPoolWorkItem"/>, no task): the dedicated, briefly
/// spinning worker threads of <see cref="ParallelWorkers"/> when one is idle, else the thread pool (a nested call, or several callers).
/// </summary>
/// <remarks>
/// The calling thread works too: every thread, the caller included, claims parts from a shared ticket until none is left, so helpers that
/// start late (a busy thread pool) only leave their parts to the others, and the call never waits for a thread that has not started. The
/// ticket holds the part count beside the next part, so a helper queued for an earlier call that starts during a later one either claims
/// a part of that later call (and runs it, correctly) or finds none. An idle dedicated worker always helps, even while a helper of an
/// earlier call still waits in a starved thread pool; a work item never has more helpers waiting in the thread pool than a call uses, and
/// never more on the dedicated workers than there are workers. Parts run
/// in the caller's execution context, so <see cref="KernelTuning.Current"/> is the caller's. The first exception of a part is rethrown on
/// the calling thread after every claimed part has finished.
/// </remarks>
internal static class ParallelParts
{
    /// <summary>
    /// Runs <paramref name="body"/>.Run(part) for every part in [0, <paramref name="parts"/>), on the calling thread and up to
    /// <paramref name="parts"/> − 1 helper threads (dedicated workers, else the thread pool), and returns when all are done.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is negative.</exception>
    public static void Run<TBody>(int parts, in TBody body) where TBody : struct, IParallelBody
    {
        if (parts < 0) throw new ArgumentOutOfRangeException(nameof(parts), $"parallel parts: the part count must not be negative, got {parts}");
        if (parts == 0) return;
        if (parts == 1)
        {
            body.Run(0);
            return;
        }
        var job = Job<TBody>.Enter();
        try
        {
            job.Start(parts, body, helpers: Math.Min(parts, Environment.ProcessorCount) - 1);
            job.Work(helper: false);
            job.WaitForParts();
            var failure = job.Failure;
            job.Finish();
            failure?.Throw();
        }
        finally { Job<TBody>.Leave(); }
    }

    /// <summary>One call's shared state, reused by the thread that owns it for its next call at the same nesting depth.</summary>
    private sealed class Job<TBody> : IThreadPoolWorkItem where TBody : struct, IParallelBody
    {
        // Per thread, one item per nesting depth (a part may itself run parts of the same body type).
        [ThreadStatic] private static Job<TBody>[]? owned;
        [ThreadStatic] private static int depth;

        private TBody body;
        private long ticket;      // parts << 32 | next part to claim
        private int finishedParts;
        private int waitingInPool; // helpers queued to the thread pool that have not started yet
        private ExecutionContext? context;
        private readonly OnWorker onWorker;

        private Job() => onWorker = new OnWorker(this);

        /// <summary>The first failure of a part of the current call.</summary>
        public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure { get; private set; }

        /// <summary>This thread's item for the next nesting depth.</summary>
        public static Job<TBody> Enter()
        {
            var items = owned ??= new Job<TBody>[2];
            if (depth == items.Length) Array.Resize(ref owned, 2 * depth);
            return owned![depth++] ??= new Job<TBody>();
        }

        /// <summary>Ends the call at the current nesting depth.</summary>
        public static void Leave() => depth--;

        /// <summary>Publishes a call of <paramref name="parts"/> parts and finds it up to <paramref name="helpers"/> helpers: every idle
        /// dedicated worker it can use, then the thread pool for the rest (helpers still waiting there from earlier calls count).</summary>
        public void Start(int parts, in TBody work, int helpers)
        {
            body = work;
            finishedParts = 0;
            Failure = null;
            context = ExecutionContext.Capture();
            Interlocked.Exchange(ref ticket, (long)parts << 32); // publishes the fields above to any thread that claims a part
            int onWorkers = 0;
            while (onWorkers < helpers && ParallelWorkers.TryStart(onWorker)) onWorkers++;
            for (int waiting = Volatile.Read(ref waitingInPool); onWorkers + waiting < helpers; waiting++)
            {
                Interlocked.Increment(ref waitingInPool);
                QueueToThreadPool(this);
            }
        }

        /// <summary>A helper's run on a thread-pool thread.</summary>
        void IThreadPoolWorkItem.Execute()
        {
            Interlocked.Decrement(ref waitingInPool);
            Work(helper: true);
        }

        /// <summary>Claims and runs parts until none is left (a helper in the caller's execution context).</summary>
        public void Work(bool helper)
        {
            while (true)
            {
                long claimed = Interlocked.Increment(ref ticket);
                int part = (int)claimed - 1, parts = (int)(claimed >> 32);
                if (part >= parts) return;
                if (helper && context is { } callers) ExecutionContext.Restore(callers); // the pool resets it after the item
                try { body.Run(part); }
                catch (Exception exception)
                {
                    lock (this) Failure ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception);
                }
                Interlocked.Increment(ref finishedParts);
            }
        }

        /// <summary>Waits (spinning, then yielding the core) until every part has finished.</summary>
        public void WaitForParts()
        {
            int parts = (int)(Volatile.Read(ref ticket) >> 32);
            var spin = new SpinWait();
            while (Volatile.Read(ref finishedParts) < parts) spin.SpinOnce(sleep1Threshold: -1);
        }

        /// <summary>After every part has finished (no thread reads the body any more): keeps no references alive between calls.</summary>
        public void Finish()
        {
            body = default;
            context = null;
            Failure = null;
        }

        /// <summary>The job as a dedicated worker's item: the same work, outside the count of helpers waiting in the thread pool (a
        /// worker starts at once, and at most one item per worker is outstanding).</summary>
        private sealed class OnWorker(Job<TBody> job) : IThreadPoolWorkItem
        {
            public void Execute() => job.Work(helper: true);
        }
    }

    private static List<IThreadPoolWorkItem>? heldForTests;

    private static void QueueToThreadPool(IThreadPoolWorkItem helper)
    {
        if (Volatile.Read(ref heldForTests) is { } held)
            lock (held)
            {
                held.Add(helper);
                return;
            }
        ThreadPool.UnsafeQueueUserWorkItem(helper, preferLocal: false);
    }

    /// <summary>
    /// For tests: until the returned scope ends, the helpers a call would queue to the thread pool are added to <paramref name="held"/>
    /// instead, as if the pool were starved and had not started them; ending the scope queues them to the pool. Not for concurrent use.
    /// </summary>
    internal static IDisposable HoldThreadPoolHelpers(List<IThreadPoolWorkItem> held)
    {
        if (Interlocked.CompareExchange(ref heldForTests, held, null) is not null)
            throw new InvalidOperationException("parallel parts: thread-pool helpers are already held");
        return new HeldHelpers(held);
    }

    private sealed class HeldHelpers(List<IThreadPoolWorkItem> held) : IDisposable
    {
        public void Dispose()
        {
            if (Interlocked.CompareExchange(ref heldForTests, null, held) != held) return;
            lock (held)
            {
                foreach (var helper in held) ThreadPool.UnsafeQueueUserWorkItem(helper, preferLocal: false);
                held.Clear();
            }
        }
    }
}
