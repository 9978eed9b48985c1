using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// Summary column "ours/libtorch": a recurrent or convolution case's median time over libtorch's median time for the same configuration and method, measured
/// in the same run (above 1: libtorch is faster).
/// </summary>
public sealed class TorchRatioColumn() : SummaryColumn("ours/libtorch", ColumnCategory.Custom, priorityInCategory: 1,
    "Median time over libtorch's median time for the same case and method, in this run (above 1: libtorch is faster)")
{
    private static object? ParameterValue(BenchmarkCase benchmarkCase, string name) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(item => item.Name == name)?.Value;

    /// <summary>Whether a case's "Implementation" parameter is libtorch (recurrent and convolution benchmarks name it alike).</summary>
    private static bool IsTorch(object? implementation) => implementation?.ToString() == "LibTorch";

    /// <summary>The case's time over libtorch's for the same configuration and method, or null (no libtorch counterpart or no result).</summary>
    public static double? RatioOf(Summary summary, BenchmarkCase benchmarkCase)
    {
        var implementation = ParameterValue(benchmarkCase, "Implementation");
        if (implementation is null || IsTorch(implementation)) return null;
        var configuration = ParameterValue(benchmarkCase, "Case");
        var torch = summary.BenchmarksCases.FirstOrDefault(other =>
            other.Descriptor.WorkloadMethod == benchmarkCase.Descriptor.WorkloadMethod
            && Equals(ParameterValue(other, "Case"), configuration)
            && IsTorch(ParameterValue(other, "Implementation")));
        double? ours = summary[benchmarkCase]?.ResultStatistics?.Median;
        double? theirs = torch is null ? null : summary[torch]?.ResultStatistics?.Median;
        return ours is null || theirs is null or <= 0 ? null : ours.Value / theirs.Value;
    }

    /// <inheritdoc/>
    protected override string ValueOf(Summary summary, BenchmarkCase benchmarkCase) => RatioOf(summary, benchmarkCase)?.ToString("F2") ?? "-";

    /// <inheritdoc/>
    public override bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => ParameterValue(c, nameof(RecurrentBenchmarks.Implementation)) is not null);
}
