using Microsoft.Win32.SafeHandles;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// What the operating system says about the time around a step, for <see cref="CharRnnStepHarness"/> (Linux; zeros elsewhere): the
/// machine's steal time (the hypervisor ran another guest on our virtual CPUs; /proc/stat, in ticks of 10 ms) and the calling thread's
/// time running and waiting on a run queue while runnable (/proc/thread-self/schedstat, in ns: another process or thread had its core).
/// Each file is opened once and re-read from its start into one buffer, so reading allocates nothing.
/// </summary>
internal sealed class CharRnnStepCpuClock : IDisposable
{
    private readonly SafeFileHandle? stat, schedule;
    private readonly byte[] buffer = new byte[8192];

    /// <summary>Opens the files for the calling thread (create it on the thread that runs the steps).</summary>
    public CharRnnStepCpuClock()
    {
        stat = TryOpen("/proc/stat");
        schedule = TryOpen("/proc/thread-self/schedstat");
    }

    /// <summary>The machine's steal ticks so far (all CPUs; 0 when unknown).</summary>
    public long StealTicks()
    {
        // "cpu  user nice system idle iowait irq softirq steal ...": the 8th number of the first line
        return stat is null ? 0 : Number(Read(stat), 7);
    }

    /// <summary>The calling thread's time on a CPU and its time runnable but waiting for one, in ns so far (0 when unknown).</summary>
    public (long RunningNs, long WaitingNs) ThreadTimes()
    {
        if (schedule is null) return (0, 0);
        int length = Read(schedule);
        return (Number(length, 0), Number(length, 1));
    }

    private int Read(SafeFileHandle handle) => RandomAccess.Read(handle, buffer, 0);

    /// <summary>The <paramref name="index"/>-th whole number in the first line of the buffer's first <paramref name="length"/> bytes.</summary>
    private long Number(int length, int index)
    {
        int seen = -1;
        for (int i = 0; i < length && buffer[i] != (byte)'\n'; i++)
        {
            if (buffer[i] is < (byte)'0' or > (byte)'9') continue;
            long value = 0;
            for (; i < length && buffer[i] is >= (byte)'0' and <= (byte)'9'; i++) value = 10 * value + (buffer[i] - '0');
            if (++seen == index) return value;
            if (i < length && buffer[i] == (byte)'\n') break;
        }
        return 0;
    }

    private static SafeFileHandle? TryOpen(string path)
    {
        try { return File.Exists(path) ? File.OpenHandle(path) : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Closes the files.</summary>
    public void Dispose()
    {
        stat?.Dispose();
        schedule?.Dispose();
    }
}
