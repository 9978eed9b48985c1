namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// How a set of step times spreads, for <see cref="CharRnnStepHarness"/>: percentiles, a histogram in bins of 5% of the minimum (a
/// bimodal loop shows two humps), and the times in the order they were taken (a trend shows warm-up still going on).
/// </summary>
internal static class CharRnnStepDistribution
{
    /// <summary>The value at fraction <paramref name="fraction"/> of <paramref name="sorted"/> (nearest rank; 0.5 of an even count is the mean of the middle two).</summary>
    public static double Percentile(double[] sorted, double fraction)
    {
        if (sorted.Length == 0) return double.NaN;
        if (fraction == 0.5 && sorted.Length % 2 == 0) return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        int index = (int)Math.Round(fraction * (sorted.Length - 1));
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    /// <summary>"min … p10 … median … p90 … max" of <paramref name="sorted"/>, in ms.</summary>
    public static string Percentiles(double[] sorted) =>
        $"min {sorted[0]:F2}, p10 {Percentile(sorted, 0.1):F2}, p25 {Percentile(sorted, 0.25):F2}, median {Percentile(sorted, 0.5):F2}, " +
        $"p75 {Percentile(sorted, 0.75):F2}, p90 {Percentile(sorted, 0.9):F2}, max {sorted[^1]:F2}";

    /// <summary>Prints the histogram of <paramref name="times"/> (ms) in bins of 5% of their minimum, the last bin open.</summary>
    public static void PrintHistogram(IReadOnlyList<double> times, string indent)
    {
        double min = times.Min(), width = 0.05 * min;
        const int bins = 20; // up to 2× the minimum, then one open bin
        var counts = new int[bins + 1];
        foreach (var time in times) counts[Math.Min(bins, (int)((time - min) / width))]++;
        int last = Array.FindLastIndex(counts, count => count > 0);
        for (int bin = 0; bin <= last; bin++)
        {
            string range = bin < bins
                ? $"{1 + 0.05 * bin:F2}-{1 + 0.05 * (bin + 1):F2}x {min + width * bin,7:F1}-{min + width * (bin + 1),7:F1} ms"
                : $"   >= {1 + 0.05 * bins:F2}x  >= {min + width * bins,7:F1} ms      ";
            Console.WriteLine($"{indent}{range} {counts[bin],4} {new string('#', counts[bin])}");
        }
    }

    /// <summary>Prints <paramref name="times"/> (ms) in the order taken, ten per line, marking with * the steps in <paramref name="marked"/>.</summary>
    public static void PrintSeries(IReadOnlyList<double> times, Func<int, bool> marked, string indent)
    {
        for (int first = 0; first < times.Count; first += 10)
        {
            var line = Enumerable.Range(first, Math.Min(10, times.Count - first)).Select(step => $"{times[step],6:F1}{(marked(step) ? "*" : " ")}");
            Console.WriteLine($"{indent}{first,3}: {string.Join(" ", line)}");
        }
    }
}
