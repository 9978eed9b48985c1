using System.Diagnostics;
using System.Runtime;

namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// Warm-up for tests that count a step's allocations in steady state: the tiered JIT recompiles hot methods in the background a while
/// after their first calls (the runtime waits for 100 ms without new first calls; longer on a loaded machine), and what it allocates
/// then would be counted against the step. So the warm-up runs until the JIT has compiled nothing for several steps in a row and for
/// a while (as the char-rnn step harness does, whose steps are long enough for the step count alone).
/// </summary>
internal static class JitQuietWarmUp
{
    /// <summary>How long the JIT must have compiled nothing, beside the quiet steps.</summary>
    private static readonly TimeSpan QuietTime = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Runs <paramref name="step"/> (with its index) at least <paramref name="minimumSteps"/> times, then until <paramref name="quietSteps"/>
    /// steps in a row and <see cref="QuietTime"/> compiled no method, at most <paramref name="maximumSteps"/> times; returns the steps run.
    /// </summary>
    public static int Run(Action<int> step, int minimumSteps = 5, int quietSteps = 10, int maximumSteps = 300)
    {
        int steps = 0, quiet = 0;
        long quietSince = Stopwatch.GetTimestamp();
        while (steps < minimumSteps || ((quiet < quietSteps || Stopwatch.GetElapsedTime(quietSince) < QuietTime) && steps < maximumSteps))
        {
            long compiled = JitInfo.GetCompiledMethodCount();
            step(steps++);
            if (JitInfo.GetCompiledMethodCount() == compiled) quiet++;
            else (quiet, quietSince) = (0, Stopwatch.GetTimestamp());
        }
        return steps;
    }
}
