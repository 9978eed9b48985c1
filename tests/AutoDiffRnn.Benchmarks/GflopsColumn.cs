using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiffRnn.Benchmarks;

/// <summary>Summary column "GFLOP/s": the flop count of the case's <see cref="IFlopCount"/> parameter over its mean time.</summary>
public sealed class GflopsColumn() : SummaryColumn("GFLOP/s", ColumnCategory.Custom, priorityInCategory: 0,
    "Floating-point operations per second, in billions (2·M·N·K for a GEMM), from the mean time")
{
    /// <summary>Flops per invocation of a case, or null when none of its parameters is an <see cref="IFlopCount"/>.</summary>
    public static double? FlopsOf(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.Select(item => item.Value).OfType<IFlopCount>().FirstOrDefault()?.Flops;

    /// <summary>GFLOP/s of a case in a summary, or null when it has no flop count or no result.</summary>
    public static double? GflopsOf(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? flops = FlopsOf(benchmarkCase);
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return flops is null || meanNanoseconds is null or <= 0 ? null : flops.Value / meanNanoseconds.Value;
    }

    /// <inheritdoc/>
    protected override string ValueOf(Summary summary, BenchmarkCase benchmarkCase) => GflopsOf(summary, benchmarkCase)?.ToString("F1") ?? "-";

    /// <inheritdoc/>
    public override bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => FlopsOf(c) is not null);
}
