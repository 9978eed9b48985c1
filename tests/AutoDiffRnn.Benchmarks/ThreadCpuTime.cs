using System.Runtime.InteropServices;

namespace AutoDiffRnn.Benchmarks;

/// <summary>The calling thread's CPU time, for the plain harnesses (<see cref="RecurrentPhaseHarness"/>, <see cref="CompiledCellHarness"/>).</summary>
internal static class ThreadCpuTime
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpecification
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpecification time);

    /// <summary>The calling thread's CPU time in ms (Linux CLOCK_THREAD_CPUTIME_ID; NaN elsewhere): on a loaded machine, what the
    /// thread ran, not what it waited.</summary>
    public static double Milliseconds()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(ThreadCpuClock, out var time) != 0) return double.NaN;
        return time.Seconds * 1e3 + time.Nanoseconds / 1e6;
    }
}
