using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// Entry point: BenchmarkDotNet's switcher over every benchmark class of this assembly (one class per file), e.g.
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*Gemm*'</c>.
/// After the run, prints GFLOP/s for every case whose parameters carry a flop count (<see cref="IFlopCount"/>).
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected by the command line.</summary>
    public static void Main(string[] args)
    {
        // libtorch runs in process beside our kernels; on Debian 12 its native library needs the run-time fix (README: Known platform issues).
        if (args.Length > 0 && args[0] == CharRnnStepHarness.Switch)
        {
            CharRnnStepHarness.Run(args[1..]); // a plain harness, not BenchmarkDotNet
            return;
        }
        if (args.Length > 0 && args[0] == RecurrentPhaseHarness.Switch)
        {
            RecurrentPhaseHarness.Run(args[1..]); // a plain harness, not BenchmarkDotNet
            return;
        }
        if (args.Length > 0 && args[0] == EagerStepHarness.Switch)
        {
            EagerStepHarness.Run(args[1..]); // issue 19's eager cell against the fused kernel, profiled per op kind
            return;
        }
        if (args.Length > 0 && args[0] == CompiledCellHarness.Switch) { CompiledCellHarness.Run(args[1..]); return; } // issue 19's cells, interleaved
        AutoDiffRnn.FSharp.Torch.TorchNative.EnsureLoaded();
        var config = DefaultConfig.Instance.AddColumn(new GflopsColumn(), new TorchRatioColumn());
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        foreach (var summary in summaries)
        {
            PrintTorchRatios(summary);
            var rates = summary.BenchmarksCases
                .Select(benchmarkCase => (benchmarkCase, gflops: GflopsColumn.GflopsOf(summary, benchmarkCase)))
                .Where(entry => entry.gflops is not null)
                .ToList();
            if (rates.Count == 0) continue;
            Console.WriteLine();
            Console.WriteLine($"GFLOP/s ({summary.Title}):");
            foreach (var (benchmarkCase, gflops) in rates)
            {
                double? baseline = rates
                    .Where(entry => entry.benchmarkCase.Descriptor.Baseline
                        && entry.benchmarkCase.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo)
                    .Select(entry => entry.gflops).FirstOrDefault();
                string ratio = baseline is > 0 ? $"  ({gflops!.Value / baseline.Value:F1}x baseline)" : "";
                Console.WriteLine(
                    $"  {benchmarkCase.Descriptor.WorkloadMethod.Name,-16} {benchmarkCase.Parameters.DisplayInfo,-24} {gflops,8:F1}{ratio}");
            }
        }
    }

    /// <summary>The table of median times and ours/libtorch ratios of a recurrent run (nothing for other benchmarks).</summary>
    private static void PrintTorchRatios(BenchmarkDotNet.Reports.Summary summary)
    {
        var rows = summary.BenchmarksCases
            .Select(benchmarkCase => (benchmarkCase, ratio: TorchRatioColumn.RatioOf(summary, benchmarkCase)))
            .Where(entry => entry.ratio is not null)
            .ToList();
        if (rows.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($"ours/libtorch, median time over libtorch's in this run ({summary.Title}):");
        foreach (var (benchmarkCase, ratio) in rows)
        {
            double milliseconds = summary[benchmarkCase]!.ResultStatistics!.Median / 1e6;
            // the parameters' full names (BenchmarkDotNet's display shortens long ones)
            string parameters = string.Join(", ", benchmarkCase.Parameters.Items.Select(item => $"{item.Value}"));
            Console.WriteLine(
                $"  {benchmarkCase.Descriptor.WorkloadMethod.Name,-10} {parameters,-40} {milliseconds,10:F2} ms  {ratio,6:F2}x");
        }
    }
}
