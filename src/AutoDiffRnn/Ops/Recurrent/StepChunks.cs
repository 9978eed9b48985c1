namespace AutoDiffRnn;

/// <summary>
/// Overlaps the whole-sequence products of a fused recurrent op with its step recurrence when the recurrence runs on one thread (small
/// batches) and another core is free: the steps are cut into chunks (in processing order), and a chain of tasks, one per chunk and
/// in order, runs on the thread pool. Forward: the input projections of chunk c are computed ahead of the recurrence, which waits
/// for them (<see cref="WaitFor"/>). Backward: once the recurrence has finished chunk c it hands its gate gradients over
/// (<see cref="Complete"/>) for the weight and input gradients while it goes on with the next steps. Exceptions of a chunk surface
/// in <see cref="WaitFor"/> or <see cref="WaitAll"/>.
/// </summary>
internal sealed class StepChunks
{
    private readonly Task?[] tasks;
    private readonly Action<int> work;

    /// <summary>Fewest steps per chunk (each chunk's products should be worth a task).</summary>
    internal const int MinimumSteps = 16;

    /// <summary>Chunks a sequence is cut into, at most.</summary>
    internal const int MaximumChunks = 8;

    private StepChunks(int count, int stepsPerChunk, Action<int> work)
    {
        tasks = new Task?[count];
        StepsPerChunk = stepsPerChunk;
        this.work = work;
    }

    /// <summary>Number of chunks.</summary>
    public int Count => tasks.Length;

    /// <summary>Steps per chunk (the last may have fewer).</summary>
    public int StepsPerChunk { get; }

    /// <summary>
    /// The chunks for a sequence of <paramref name="steps"/> whose recurrence runs on <paramref name="recurrenceThreads"/> threads,
    /// or null when overlapping does not pay (a single core, a recurrence already on every core, too few steps).
    /// </summary>
    public static StepChunks? For(int steps, int recurrenceThreads, Action<int> work)
    {
        if (recurrenceThreads != 1 || Kernels.Gemm.MaxParallelism < 2 || steps < 2 * MinimumSteps) return null;
        int count = Math.Min(MaximumChunks, steps / MinimumSteps);
        int stepsPerChunk = (steps + count - 1) / count;
        return new StepChunks((steps + stepsPerChunk - 1) / stepsPerChunk, stepsPerChunk, work);
    }

    /// <summary>Processing steps [first, first + count) of chunk <paramref name="chunk"/> out of <paramref name="steps"/>.</summary>
    public (int First, int Count) Range(int chunk, int steps)
    {
        int first = chunk * StepsPerChunk;
        return (first, Math.Min(StepsPerChunk, steps - first));
    }

    /// <summary>Queues every chunk's work, in order (forward: produce ahead of the recurrence).</summary>
    public void StartAll()
    {
        for (int chunk = 0; chunk < tasks.Length; chunk++) Complete(chunk);
    }

    /// <summary>Queues the work of <paramref name="chunk"/> after that of the previous chunks (backward: its steps are done).</summary>
    public void Complete(int chunk)
    {
        var previous = chunk == 0 ? null : tasks[chunk - 1];
        tasks[chunk] = previous is null
            ? Task.Run(() => work(chunk))
            : previous.ContinueWith(_ => work(chunk), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>Waits until the work of <paramref name="chunk"/> is done; rethrows the first failure of the chain.</summary>
    public void WaitFor(int chunk)
    {
        var task = tasks[chunk] ?? throw new InvalidOperationException($"step chunk {chunk} was never queued");
        try { task.Wait(); }
        catch (AggregateException) { ThrowFirstFailure(); throw; }
    }

    /// <summary>Waits for every queued chunk (also after a failure of the caller, so no work outlives the buffers); rethrows the first failure.</summary>
    public void WaitAll()
    {
        foreach (var task in tasks)
        {
            if (task is null) continue;
            try { task.Wait(); }
            catch (AggregateException) { }
        }
        ThrowFirstFailure();
    }

    private void ThrowFirstFailure()
    {
        foreach (var task in tasks)
            if (task is { IsFaulted: true })
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(task.Exception!.InnerException!);
    }
}
