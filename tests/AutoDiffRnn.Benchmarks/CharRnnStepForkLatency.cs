using System.Diagnostics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// How long a fork of <see cref="ParallelParts"/> waits for its helper, the cost a training step pays at each product split over the
/// cores: after the calling thread has worked alone for a while (as between two split products of a step), a two-part call whose first
/// part waits until another thread has started the second; reported as percentiles of that wait per gap. Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --char-rnn-steps --fork-latency</c>.
/// </summary>
internal static class CharRnnStepForkLatency
{
    private const int Calls = 400;

    /// <summary>Prints the helper's start latency after gaps of 0.05 to 5 ms of single-threaded work.</summary>
    public static void Run()
    {
        Console.WriteLine($"fork latency: a two-part ParallelParts call after the caller worked alone for a gap; {Calls} calls per gap, " +
                          $"{Environment.ProcessorCount} cores, helpers {(KernelTuning.Current.DedicatedWorkers ? "dedicated workers" : "from the thread pool")}");
        var started = new long[2];
        foreach (double gapMs in new[] { 0.05, 0.5, 2.0, 5.0 })
        {
            var waits = new double[Calls];
            int alone = 0;
            for (int call = -20; call < Calls; call++)
            {
                Spin(gapMs);
                started[0] = started[1] = 0;
                ParallelParts.Run(2, new FirstWaitsForSecond(started));
                if (call < 0) continue;
                if (started[1] == 0) alone++; // the caller ran both parts: no helper came within the time-out
                waits[call] = started[1] == 0 ? Timeout : (started[1] - started[0]) * 1000.0 / Stopwatch.Frequency;
            }
            Array.Sort(waits);
            Console.WriteLine($"  gap {gapMs,4:F2} ms: helper started after median {1000 * waits[Calls / 2],7:F1} us, p90 {1000 * waits[Calls * 9 / 10],7:F1} us, " +
                              $"p99 {1000 * waits[Calls * 99 / 100],7:F1} us, max {1000 * waits[^1],7:F1} us; no helper within {Timeout} ms: {alone}");
        }
    }

    /// <summary>Longest wait of the first part for the second, in ms.</summary>
    private const double Timeout = 20;

    private static void Spin(double milliseconds)
    {
        long end = Stopwatch.GetTimestamp() + (long)(milliseconds * Stopwatch.Frequency / 1000);
        while (Stopwatch.GetTimestamp() < end) Thread.SpinWait(20);
    }

    /// <summary>Part 0 (claimed first, by the caller) notes its start and waits for part 1 to start elsewhere; part 1 notes its start.</summary>
    private readonly struct FirstWaitsForSecond(long[] started) : IParallelBody
    {
        public void Run(int part)
        {
            started[part] = Stopwatch.GetTimestamp();
            if (part != 0) return;
            long end = started[0] + (long)(Timeout * Stopwatch.Frequency / 1000);
            while (Volatile.Read(ref started[1]) == 0 && Stopwatch.GetTimestamp() < end) Thread.SpinWait(1);
        }
    }
}
