using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// Summary column "ours/libtorch": a recurrent or convolution case's median time over libtorch's median time for the same configuration and method, measured
/// in the same run (above 1: libtorch is faster).
/// </summary>
public sealed class TorchRatioColumn : IColumn
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
    public string Id => nameof(TorchRatioColumn);

    /// <inheritdoc/>
    public string ColumnName => "ours/libtorch";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Median time over libtorch's median time for the same case and method, in this run (above 1: libtorch is faster)";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => RatioOf(summary, benchmarkCase)?.ToString("F2") ?? "-";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => ParameterValue(c, nameof(RecurrentBenchmarks.Implementation)) is not null);
}
