using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// In process, two warm-ups and 15 measured iterations, with the minimum (the figure least disturbed by other work on a shared machine).
/// </summary>
public sealed class AnomalyBenchmarkJob : ManualConfig
{
    /// <summary>The job.</summary>
    public AnomalyBenchmarkJob()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance));
        AddColumn(StatisticColumn.Min);
    }
}
