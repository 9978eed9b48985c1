using System.Diagnostics;
using AutoDiffRnn.Compile;
using AutoDiffRnn.FSharp.Torch;
using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// A plain harness (not BenchmarkDotNet) for issue 19's training step (forward over T steps, sum, backward; T64 B32 I128 H256 float32):
/// the compiled cell, the built-in fused layer (LSTM and GRU) and the same cell in TorchSharp ops, interleaved call by call so load on the
/// machine hits all alike; median and min of each, and the ratios of the medians. With <c>--only compiled|fused|torch</c> it runs that one
/// implementation for <c>calls</c> steps without the others (a loop to attach a profiler to, e.g. <c>perf record</c> with
/// <c>DOTNET_PerfMapEnabled=1</c>).
/// Run: <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --compiled-cells [lstm|gru|peephole|layernorm-lstm|mgu|all] [calls]
/// [--only compiled|fused|torch]</c>.
/// </summary>
public static class CompiledCellHarness
{
    /// <summary>The command-line switch that selects this harness.</summary>
    public const string Switch = "--compiled-cells";

    private const int T = 64, B = 32, I = 128, H = 256, WarmUpCalls = 3;

    /// <summary>Runs the harness with the arguments after <see cref="Switch"/>.</summary>
    public static void Run(string[] args)
    {
        int onlyAt = Array.IndexOf(args, "--only");
        string? only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null;
        var rest = args.Where((arg, index) => onlyAt < 0 || (index != onlyAt && index != onlyAt + 1)).ToArray();
        int threadsAt = Array.IndexOf(rest, "--threads");
        int threads = threadsAt >= 0 ? int.Parse(rest[threadsAt + 1]) : Environment.ProcessorCount;
        rest = rest.Where((arg, index) => threadsAt < 0 || (index != threadsAt && index != threadsAt + 1)).ToArray();
        string name = rest.FirstOrDefault(arg => !int.TryParse(arg, out _)) ?? "all";
        int calls = rest.Where(arg => int.TryParse(arg, out _)).Select(int.Parse).DefaultIfEmpty(20).First();
        AutoDiffRnn.FSharp.Torch.TorchNative.EnsureLoaded();
        TorchSharp.torch.set_num_threads(threads);
        using var tuning = AutoDiffRnn.Kernels.KernelTuning.Use(AutoDiffRnn.Kernels.KernelTuning.Default with { MaxParallelism = threads });
        Console.WriteLine($"training step T{T} B{B} I{I} H{H} float32, {threads} thread(s), {calls} calls after {WarmUpCalls} warm-up, in blocks; " +
                          "median / min ms (cpu: the calling thread's least CPU time)");
        foreach (var cell in name == "all" ? ExampleCell.Names : [name]) Measure(cell, calls, only);
    }

    private static void Measure(string name, int calls, string? only)
    {
        var generator = new Generator(1);
        var example = ExampleCell.Create(name, I, H, DType.Float32, generator);
        var parameters = example.Parameters;
        var input = Tensor.Normal(new Shape(T, B, I), generator: generator);
        var state = Enumerable.Range(0, example.StateCount).Select(_ => Tensor.Zeros(new Shape(B, H))).ToArray();
        var compiled = example.Compile();
        Console.WriteLine(compiled.DescribeSequence(input.Narrow(0, 0, 1).Reshape(B, I), state));
        var torchParameters = parameters.Select(TorchTensor.LeafOf).ToArray();
        var torchStep = TorchExampleCells.Step(name, torchParameters);
        var torchInput = TorchTensor.OfTensor(input);
        var torchState = state.Select(TorchTensor.OfTensor).ToArray();
        RecurrentLayer? layer = name is "lstm" or "gru"
            ? new RecurrentLayer(name == "lstm" ? RecurrentKind.Lstm : RecurrentKind.Gru, I, H, generator: generator) { UseFusedKernels = true }
            : null;

        var cases = new List<(string Label, Action Step)>
        {
            ("compiled", () =>
            {
                using var scope = TensorScope.Begin();
                foreach (var parameter in parameters) parameter.ZeroGrad();
                Recurrence.Run(compiled, input, state).Output.Sum().Backward();
            }),
            ("torch", () =>
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                foreach (var parameter in torchParameters) parameter.grad?.zero_();
                TorchExampleCells.Run(torchStep, torchInput, torchState).sum().backward();
            }),
        };
        if (layer is not null)
            cases.Add(("fused", () =>
            {
                using var scope = TensorScope.Begin();
                layer.ZeroGrad();
                layer.Forward(input).Output.Sum().Backward();
            }));
        if (only is not null) cases = cases.Where(entry => entry.Label == only).ToList();

        // in blocks (all calls of one case, then the next; two rounds): libtorch's and our worker threads spin after a call, and
        // interleaving call by call lets one's spinning threads steal the other's cores
        var times = cases.Select(_ => new List<double>()).ToArray();
        var cpu = cases.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < 2; round++)
            for (int c = 0; c < cases.Count; c++)
                for (int call = 0; call < WarmUpCalls + (calls + 1) / 2; call++)
                {
                    double cpuStart = ThreadCpuTime.Milliseconds();
                    long start = Stopwatch.GetTimestamp();
                    cases[c].Step();
                    if (call < WarmUpCalls) continue;
                    times[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    cpu[c].Add(ThreadCpuTime.Milliseconds() - cpuStart);
                }
        double Median(List<double> list) => list.Order().ElementAt(list.Count / 2);
        var medians = times.Select(Median).ToArray();
        var line = string.Join("  ", cases.Select((entry, c) => $"{entry.Label} {medians[c],7:F2} / {times[c].Min(),7:F2} (cpu {cpu[c].Min(),7:F2})"));
        int compiledAt = cases.FindIndex(entry => entry.Label == "compiled");
        string Ratio(string label)
        {
            int at = cases.FindIndex(entry => entry.Label == label);
            return compiledAt < 0 || at < 0 ? "" : $"  compiled/{label} {medians[compiledAt] / medians[at]:F2} (min {times[compiledAt].Min() / times[at].Min():F2})";
        }
        Console.WriteLine($"{name,-15} {line}{Ratio("torch")}{Ratio("fused")}");
    }
}
