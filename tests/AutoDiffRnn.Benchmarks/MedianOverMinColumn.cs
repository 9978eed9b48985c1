using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiffRnn.Benchmarks;

/// <summary>Summary column "Median/Min": a case's median time over its fastest iteration (1 for a perfectly steady loop).</summary>
public sealed class MedianOverMinColumn() : SummaryColumn("Median/Min", ColumnCategory.Statistics, priorityInCategory: 100,
    "Median time over the minimum time of the measured iterations (steadiness: issue 17 asks at most 1.2)")
{
    /// <inheritdoc/>
    protected override string ValueOf(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics is { Min: > 0 } statistics ? (statistics.Median / statistics.Min).ToString("F2") : "-";
}
