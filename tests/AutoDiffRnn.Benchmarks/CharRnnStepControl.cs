using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// Fixed control workloads timed between the measured steps of <see cref="CharRnnStepHarness"/> (<c>--control</c>), to tell the spread
/// of the step from the spread of the machine: the same work every time, so any spread in their times comes from the machine (clock
/// frequency, a neighbour on the host sharing the physical core or the L3, the hypervisor), not from the step. Two controls: fused
/// multiply-adds on registers only on the stepping thread (no memory traffic: clock and core sharing alone), and a float32 product of
/// the step's input-projection size split over the cores (the step's own kind of work: caches, memory and the fork-join too).
/// </summary>
internal sealed class CharRnnStepControl
{
    private const int Rows = 2048, Columns = 1024, Depth = 256; // T·B rows times 4H gate columns, depth H: one projection of the step
    private const long RegisterIterations = 2_000_000;          // eight vector multiply-adds each: about 3 ms on a 3 GHz AVX2 core
    private readonly float[] left = new float[Rows * Depth], right = new float[Depth * Columns], product = new float[Rows * Columns];
    private readonly List<double> registerTimes = [], productTimes = [];

    public CharRnnStepControl()
    {
        var random = new Random(1);
        for (int i = 0; i < left.Length; i++) left[i] = (float)random.NextDouble();
        for (int i = 0; i < right.Length; i++) right[i] = (float)random.NextDouble();
    }

    /// <summary>Runs each control once and keeps its time (ms); <paramref name="record"/> false during the warm-up.</summary>
    public void Run(bool record)
    {
        long start = Stopwatch.GetTimestamp();
        float sink = RegisterMultiplyAdds(RegisterIterations);
        long middle = Stopwatch.GetTimestamp();
        Gemm.Multiply<float>(left, false, right, false, product, Rows, Columns, Depth, accumulate: false);
        long end = Stopwatch.GetTimestamp();
        if (sink == float.MaxValue) Console.Write(""); // keeps the loop's result alive
        if (!record) return;
        registerTimes.Add((middle - start) * 1000.0 / Stopwatch.Frequency);
        productTimes.Add((end - middle) * 1000.0 / Stopwatch.Frequency);
    }

    /// <summary>The controls' min, median and median/min, one line each.</summary>
    public void Print(string indent)
    {
        foreach (var (name, times) in new[] { ("register multiply-adds, stepping thread", registerTimes),
                     ($"float32 product {Rows}x{Depth}x{Columns} over the cores", productTimes) })
        {
            var sorted = times.Order().ToArray();
            double median = CharRnnStepDistribution.Percentile(sorted, 0.5);
            Console.WriteLine($"{indent}control, {name}: min {sorted[0]:F2} ms, median {median:F2} ms, max {sorted[^1]:F2} ms, " +
                              $"median/min {median / sorted[0]:F2}");
        }
    }

    /// <summary>Independent chains of vector multiply-adds on registers (eight accumulators hide the instruction's latency).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float RegisterMultiplyAdds(long iterations)
    {
        var factor = Vector256.Create(0.999999f);
        var addend = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, factor, addend);
            a1 = Vector256.FusedMultiplyAdd(a1, factor, addend);
            a2 = Vector256.FusedMultiplyAdd(a2, factor, addend);
            a3 = Vector256.FusedMultiplyAdd(a3, factor, addend);
            a4 = Vector256.FusedMultiplyAdd(a4, factor, addend);
            a5 = Vector256.FusedMultiplyAdd(a5, factor, addend);
            a6 = Vector256.FusedMultiplyAdd(a6, factor, addend);
            a7 = Vector256.FusedMultiplyAdd(a7, factor, addend);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }
}
