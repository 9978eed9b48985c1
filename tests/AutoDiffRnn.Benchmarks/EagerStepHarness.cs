using System.Diagnostics;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Compile;
using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// A plain harness for issue 19's eager composed cell against the hand-fused kernel, without BenchmarkDotNet: the training step of
/// <see cref="CompiledCellBenchmarks"/> (T=64, B=32, I=128, H=256, float32; forward over the sequence, sum, backward) for the example
/// cell run eagerly (one tape op per primitive) and for the built-in fused layer, alternating step by step in one process so both see
/// the same machine load. It reports per implementation the median and min step time, forward and backward medians, bytes allocated per
/// step (all threads), the collections of each generation, and the eager/fused ratio of the medians; then a profile of the eager graph
/// per op kind: how many nodes, the bytes of their outputs (the forward's allocations), and the time and bytes of each kind's
/// vector-Jacobian products run one by one. Each step runs in a <see cref="TensorScope"/> unless <c>--no-scope</c> is given. Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --eager-steps [warm-up] [measured] [cell] [--no-scope] [--eager-only]</c>
/// (<c>--eager-only</c> skips the fused steps, e.g. to profile the eager step alone with <c>perf</c>).
/// </summary>
public static class EagerStepHarness
{
    /// <summary>The command-line switch that selects this harness.</summary>
    public const string Switch = "--eager-steps";

    private const int T = 64, B = 32, I = 128, H = 256;

    /// <summary>Runs the harness with the arguments after <see cref="Switch"/>.</summary>
    public static void Run(string[] args)
    {
        var numbers = args.Where(arg => int.TryParse(arg, out _)).Select(int.Parse).ToArray();
        int warmUp = numbers.Length > 0 ? numbers[0] : 5, measured = numbers.Length > 1 ? numbers[1] : 20;
        string cellName = args.FirstOrDefault(arg => ExampleCell.Names.Contains(arg)) ?? "lstm";
        bool scoped = !args.Contains("--no-scope");

        var generator = new Generator(1);
        var example = ExampleCell.Create(cellName, I, H, DType.Float32, generator);
        var cell = example.Compile(compile: false);
        var input = Tensor.Normal(new Shape(T, B, I), generator: generator);
        var state = Enumerable.Range(0, example.StateCount).Select(_ => Tensor.Zeros(new Shape(B, H))).ToArray();
        RecurrentLayer? layer = cellName is "lstm" or "gru" && !args.Contains("--eager-only")
            ? new RecurrentLayer(cellName == "lstm" ? RecurrentKind.Lstm : RecurrentKind.Gru, I, H, generator: generator) { UseFusedKernels = true }
            : null;

        var eager = new Measurements(measured);
        var fused = new Measurements(measured);
        Tensor EagerForward()
        {
            foreach (var parameter in example.Parameters) parameter.ZeroGrad();
            return Recurrence.Run(cell, input, state).Output.Sum();
        }
        Tensor FusedForward()
        {
            layer!.ZeroGrad();
            return layer.Forward(input).Output.Sum();
        }
        for (int step = 0; step < warmUp + measured; step++)
        {
            int index = step - warmUp;
            Step(EagerForward, index < 0 ? null : eager, index, scoped);
            if (layer is not null) Step(FusedForward, index < 0 ? null : fused, index, scoped);
        }

        Console.WriteLine($"{cellName} training step T={T} B={B} I={I} H={H} float32, {warmUp} warm-up + {measured} measured steps each, " +
                          $"alternating, {Environment.ProcessorCount} cores, {(scoped ? "each step in a TensorScope" : "no TensorScope")}");
        eager.Print("eager");
        if (layer is not null)
        {
            fused.Print("fused");
            Console.WriteLine($"  eager/fused: median {eager.MedianTime / fused.MedianTime:F2}, min {eager.MinTime / fused.MinTime:F2}");
        }
        Profile(EagerForward);
    }

    private static void Step(Func<Tensor> forward, Measurements? into, int index, bool scoped)
    {
        var scope = scoped ? TensorScope.Begin() : null;
        var collections = Collections();
        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        var loss = forward();
        long forwardEnd = Stopwatch.GetTimestamp();
        loss.Backward();
        long end = Stopwatch.GetTimestamp();
        scope?.Dispose();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        if (into is null) return;
        into.Forward[index] = Milliseconds(forwardEnd - start);
        into.Backward[index] = Milliseconds(end - forwardEnd);
        into.Total[index] = Milliseconds(end - start);
        into.Bytes[index] = allocated;
        var after = Collections();
        for (int generation = 0; generation < 3; generation++) into.Collections[generation] += after[generation] - collections[generation];
    }

    /// <summary>
    /// The eager graph by op kind: nodes, output bytes, and each kind's vector-Jacobian products run one by one (first order, a gradient
    /// of ones), their total time and bytes.
    /// </summary>
    private static void Profile(Func<Tensor> forward)
    {
        using var scope = TensorScope.Begin();
        var loss = forward();
        var rows = new Dictionary<string, (int Nodes, long OutputBytes, double Milliseconds, long GradientBytes)>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<Tensor>([loss]);
        var tensors = new List<Tensor>();
        while (pending.TryPop(out var tensor))
        {
            if (tensor.GradFn is not { } node || !seen.Add(tensor)) continue;
            tensors.Add(tensor);
            foreach (var nodeInput in node.Inputs) pending.Push(nodeInput);
        }
        using (GradMode.NoGrad())
            foreach (var tensor in tensors)
            {
                var node = tensor.GradFn!;
                var gradient = Tensor.OnesLike(tensor);
                long bytes = GC.GetTotalAllocatedBytes(precise: true);
                long start = Stopwatch.GetTimestamp();
                node.Apply(gradient);
                double milliseconds = Milliseconds(Stopwatch.GetTimestamp() - start);
                long gradientBytes = GC.GetTotalAllocatedBytes(precise: true) - bytes;
                var row = rows.GetValueOrDefault(node.OperationName);
                rows[node.OperationName] = (row.Nodes + 1, row.OutputBytes + tensor.ElementCount * 4L, row.Milliseconds + milliseconds,
                    row.GradientBytes + gradientBytes);
            }
        loss.Backward();
        Console.WriteLine($"  eager graph by op kind ({tensors.Count} nodes; VJPs run one by one, outside a scope's pooling):");
        Console.WriteLine($"    {"op",-16} {"nodes",6} {"output KB",10} {"VJP ms",8} {"VJP KB",10}");
        foreach (var (name, row) in rows.OrderByDescending(entry => entry.Value.Milliseconds))
            Console.WriteLine($"    {name,-16} {row.Nodes,6} {row.OutputBytes / 1024.0,10:F0} {row.Milliseconds,8:F2} {row.GradientBytes / 1024.0,10:F0}");
    }

    private static int[] Collections() => [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private sealed class Measurements(int steps)
    {
        public double[] Forward { get; } = new double[steps];
        public double[] Backward { get; } = new double[steps];
        public double[] Total { get; } = new double[steps];
        public long[] Bytes { get; } = new long[steps];
        public int[] Collections { get; } = new int[3];

        public double MedianTime => Median(Total);
        public double MinTime => Total.Min();

        public void Print(string label) =>
            Console.WriteLine($"  {label,-6} step median {MedianTime,7:F2} ms (min {MinTime:F2}; forward {Median(Forward):F2}, backward " +
                              $"{Median(Backward):F2}), allocated per step median {Median(Bytes.Select(b => (double)b).ToArray()) / 1048576:F2} MB, " +
                              $"collections gen0 {Collections[0]} gen1 {Collections[1]} gen2 {Collections[2]}");

        private static double Median(double[] values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}
