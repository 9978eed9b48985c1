using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// Hands out the blocks of hidden units of each step of a recurrence split over the cores by hidden units (see <see cref="UnitBlockInference{T, TCell}"/>):
/// a worker waits until every block of the previous step is done, then claims blocks of the current step, its own first (so each core
/// keeps re-reading the same slice of the recurrent weight from its own cache), then any block nobody has claimed yet. A worker that
/// starts late or never starts only leaves its blocks to the others, so the recurrence cannot deadlock on a busy thread pool.
/// </summary>
internal sealed class StepBlockSchedule
{
    private readonly int[] claimed; // step × block: 1 once a worker owns it
    private readonly int[] done;    // per step: blocks finished
    private volatile bool failed;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure; // the first real failure of a worker

    /// <summary>A schedule for <paramref name="steps"/> steps of <paramref name="blocks"/> blocks each.</summary>
    public StepBlockSchedule(int steps, int blocks)
    {
        if (steps <= 0 || blocks <= 0)
            throw new ArgumentOutOfRangeException(nameof(steps), $"step block schedule: steps ({steps}) and blocks ({blocks}) must be positive");
        Steps = steps;
        Blocks = blocks;
        claimed = new int[steps * blocks];
        done = new int[steps];
    }

    /// <summary>Steps of the recurrence.</summary>
    public int Steps { get; }

    /// <summary>Blocks per step.</summary>
    public int Blocks { get; }

    /// <summary>
    /// Runs worker <paramref name="worker"/>'s share of the whole recurrence: for each step, after the previous one is complete, every block
    /// it can claim (starting at block <paramref name="worker"/> mod <see cref="Blocks"/>), through <paramref name="run"/>(step, block).
    /// A failure in <paramref name="run"/> stops the other workers (they throw <see cref="OperationCanceledException"/>).
    /// </summary>
    public void Work(int worker, Action<int, int> run)
    {
        long waited = 0;
        try
        {
            for (int step = 0; step < Steps; step++)
            {
                if (step > 0) waited += WaitFor(step - 1);
                for (int i = 0; i < Blocks; i++)
                {
                    int block = (worker + i) % Blocks;
                    if (Interlocked.CompareExchange(ref claimed[step * Blocks + block], 1, 0) != 0) continue;
                    run(step, block);
                    Interlocked.Increment(ref done[step]);
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Interlocked.CompareExchange(ref failure, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception), null);
            failed = true;
            throw;
        }
        finally { Interlocked.Add(ref waitedTicks, waited); }
    }

    private static long waitedTicks;

    /// <summary>
    /// The time every worker of every schedule in this process has spent waiting at the step barrier (summed over the workers; for the
    /// phase harness, which reads it before and after a run).
    /// </summary>
    internal static TimeSpan Waited => System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref waitedTicks));

    /// <summary>
    /// Waits until every block of <paramref name="step"/> is done (spinning, then yielding the core); returns the <see
    /// cref="System.Diagnostics.Stopwatch"/> ticks it waited (0 when the step was already complete).
    /// </summary>
    private long WaitFor(int step)
    {
        if (Volatile.Read(ref done[step]) >= Blocks) return 0;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (Volatile.Read(ref done[step]) < Blocks)
        {
            if (failed) throw new OperationCanceledException("step block schedule: another worker failed");
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return System.Diagnostics.Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// Runs <paramref name="workers"/> workers over the schedule (the calling thread is one of them) and rethrows the first real failure.
    /// </summary>
    public void Run(int workers, Action<int, int> run)
    {
        if (workers <= 1)
        {
            Work(0, run);
            return;
        }
        try
        {
            ParallelParts.Run(workers, new Workers(this, run));
        }
        catch (OperationCanceledException) when (failure is not null)
        {
            failure.Throw(); // a worker that stopped because another failed may have thrown first
        }
    }

    /// <summary>The body of <see cref="Run"/>: worker p runs <see cref="Work"/>(p).</summary>
    private readonly struct Workers(StepBlockSchedule schedule, Action<int, int> run) : IParallelBody
    {
        public void Run(int part) => schedule.Work(part, run);
    }
}
