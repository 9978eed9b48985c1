using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime;
using AutoDiffRnn.Kernels;
using AutoDiffRnn.Cli.CharRnn;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// A plain harness for the main job's training step (<see cref="CharRnnStepSetup"/>), without BenchmarkDotNet: warm-up steps, then
/// measured steps each in its own <see cref="TensorScope"/>, reporting the step's min, median and max time and median/min, the bytes
/// allocated per step on all threads (<see cref="GC.GetTotalAllocatedBytes"/>, precise), the generation-0/1/2 collections during the
/// measured steps, and per phase of the step (<see cref="TrainingStepPhase"/>, then the scope's end) its median time and mean bytes, so
/// an allocation can be traced to the part of the step that makes it. With <c>--types</c> it also lists the types the runtime sampled
/// allocating (one sample per ~100 KB; the listener allocates itself, so bytes are not reported then). Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --char-rnn-steps [warm-up steps] [measured steps] [--types]</c>.
/// The warm-up runs at least the steps asked for and then until the JIT has compiled nothing for
/// <see cref="CharRnnStepSetup.JitQuietSteps"/> steps (<see cref="CharRnnStepSetup.WarmUp"/>; <c>--fixed-warm-up</c>: exactly the steps asked for).
/// Where the time spreads: percentiles, a histogram and the series of step times (<see cref="CharRnnStepDistribution"/>), per phase its
/// min, median, p90 and max, the methods the JIT compiled during the measured steps, and from the OS (<see cref="CharRnnStepCpuClock"/>)
/// the stepping thread's run-queue wait and the machine's steal time; <c>--per-step</c> lists them step by step, <c>--single-thread</c>
/// runs every product and recurrence on the calling thread (the spread the machine adds without any fork-join), <c>--thread-pool-helpers</c>
/// takes the fork-join's helpers from the thread pool instead of its dedicated workers (<see cref="ParallelWorkers"/>), <c>--control</c>
/// times fixed workloads after every step (<see cref="CharRnnStepControl"/>: how much the machine alone spreads the same work).
/// </summary>
public static class CharRnnStepHarness
{
    /// <summary>The command-line switch that selects this harness.</summary>
    public const string Switch = "--char-rnn-steps";

    /// <summary>Steps allocating this much or more are listed with their phases' bytes.</summary>
    private const long OutlierBytes = 64 * 1024;

    private static readonly string[] PhaseNames = [.. Enum.GetNames<TrainingStepPhase>(), "ScopeEnd"];

    /// <summary>Runs the harness with the arguments after <see cref="Switch"/>.</summary>
    public static void Run(string[] args)
    {
        // --thread-pool-helpers: the fork-join's helpers from the thread pool, as before the dedicated workers
        using var poolHelpers = args.Contains("--thread-pool-helpers") ? KernelTuning.Use(KernelTuning.Current with { DedicatedWorkers = false }) : null;
        if (args.Contains("--fork-latency"))
        {
            CharRnnStepForkLatency.Run();
            return;
        }
        var numbers = args.Where(arg => int.TryParse(arg, out _)).Select(int.Parse).ToArray();
        int warmUp = numbers.Length > 0 ? numbers[0] : 10, measured = numbers.Length > 1 ? numbers[1] : 100;
        // --single-thread: every product and recurrence on the calling thread (shows the spread the machine itself adds)
        using var singleThread = args.Contains("--single-thread") ? KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 1 }) : null;
        using var types = args.Contains("--types") ? new AllocationSampler() : null;
        using var clock = new CharRnnStepCpuClock();
        var control = args.Contains("--control") ? new CharRnnStepControl() : null;
        var setup = new CharRnnStepSetup();
        int phases = PhaseNames.Length;
        var stamps = new long[measured, phases + 1];
        var bytes = new long[measured, phases + 1];
        var steal = new long[measured];
        var (running, waiting, compiled) = (new long[measured], new long[measured], new long[measured]);
        var poolThreads = new int[measured];
        int current = -1;
        Action<TrainingStepPhase> phaseDone = phase => Mark(current, (int)phase + 1);
        void Mark(int step, int slot)
        {
            if (step < 0) return;
            stamps[step, slot] = Stopwatch.GetTimestamp();
            bytes[step, slot] = GC.GetTotalAllocatedBytes(precise: true);
        }
        void Step(int index, int measuredIndex)
        {
            current = measuredIndex;
            // read outside the step's time and bytes: the OS clocks and the JIT's count before, the differences after
            long stealBefore = clock.StealTicks(), compiledBefore = JitInfo.GetCompiledMethodCount();
            var (runBefore, waitBefore) = clock.ThreadTimes();
            Mark(current, 0);
            var scope = TensorScope.Begin();
            setup.Step.Run(setup.Inputs, setup.Targets, CharRnnStepSetup.Steps, CharRnnStepSetup.Batch, new Generator((ulong)index + 1), phaseDone);
            scope.Dispose();
            Mark(current, phases);
            if (current < 0) return;
            var (runAfter, waitAfter) = clock.ThreadTimes();
            steal[current] = clock.StealTicks() - stealBefore;
            (running[current], waiting[current]) = (runAfter - runBefore, waitAfter - waitBefore);
            compiled[current] = JitInfo.GetCompiledMethodCount() - compiledBefore;
            poolThreads[current] = ThreadPool.ThreadCount;
            control?.Run(record: true);
        }
        var (jitMethodsBefore, jitTimeBefore) = (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
        // warm-up: at least the steps asked for, then until the JIT's tiering is done (unless --fixed-warm-up)
        warmUp = CharRnnStepSetup.WarmUp(warmUp, args.Contains("--fixed-warm-up") ? 0 : CharRnnStepSetup.JitQuietSteps, step => Step(step, -1));
        for (int run = 0; run < 40 && control is not null; run++) control.Run(record: false); // past the JIT's tiers before the measured steps
        var (jitMethodsWarm, jitTimeWarm) = (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
        PrintGraph(setup);
        var jitTimeStart = JitInfo.GetCompilationTime();
        types?.Start();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var pauseBefore = GC.GetTotalPauseDuration();
        for (int step = 0; step < measured; step++) Step(warmUp + step, step);
        int[] collections = [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1],
            GC.CollectionCount(2) - collectionsBefore[2]];
        var pause = GC.GetTotalPauseDuration() - pauseBefore;
        var jitTime = JitInfo.GetCompilationTime() - jitTimeStart;
        types?.Stop();

        double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var series = Enumerable.Range(0, measured).Select(s => Milliseconds(stamps[s, phases] - stamps[s, 0])).ToArray();
        var times = series.Order().ToArray();
        var stepBytes = Enumerable.Range(0, measured).Select(s => bytes[s, phases] - bytes[s, 0]).ToArray();
        double median = Median(times);
        Console.WriteLine($"char-rnn step (T={CharRnnStepSetup.Steps}, B={CharRnnStepSetup.Batch}, CLI defaults), {warmUp} warm-up + {measured} measured steps, " +
                          $"{(args.Contains("--fixed-warm-up") ? "" : $"warm-up until the JIT compiled nothing for {CharRnnStepSetup.JitQuietSteps} steps, ")}" +
                          $"{Environment.ProcessorCount} cores{(singleThread is null ? "" : ", single thread (MaxParallelism 1)")}" +
                          $"{(KernelTuning.Current.DedicatedWorkers ? "" : ", helpers from the thread pool")}");
        Console.WriteLine($"  time: min {times[0]:F2} ms, median {median:F2} ms, max {times[^1]:F2} ms, median/min {median / times[0]:F2}");
        Console.WriteLine($"  time percentiles (ms): {CharRnnStepDistribution.Percentiles(times)}");
        if (types is null)
            Console.WriteLine($"  allocated per step (all threads): mean {stepBytes.Average() / 1024:F1} KB, median " +
                              $"{Median(stepBytes.Select(b => (double)b).Order().ToArray()) / 1024:F1} KB, min {stepBytes.Min() / 1024.0:F1} KB, " +
                              $"max {stepBytes.Max() / 1024.0:F1} KB");
        Console.WriteLine($"  collections during the measured steps: gen0 {collections[0]}, gen1 {collections[1]}, gen2 {collections[2]} " +
                          $"(pause {pause.TotalMilliseconds:F1} ms)");
        Console.WriteLine($"  methods the JIT compiled: {jitMethodsWarm - jitMethodsBefore} in the warm-up steps ({(jitTimeWarm - jitTimeBefore).TotalMilliseconds:F0} ms), " +
                          $"{compiled.Sum()} during the measured steps ({jitTime.TotalMilliseconds:F0} ms of JIT time on some thread; in " +
                          $"{compiled.Count(c => c > 0)} steps, marked * below); thread-pool threads {poolThreads.Min()}-{poolThreads.Max()}");
        var waitMs = waiting.Select(ns => ns / 1e6).ToArray();
        var runningMs = running.Select(ns => ns / 1e6).Order().ToArray();
        Console.WriteLine($"  the stepping thread runnable but not running (another thread had its core): median " +
                          $"{Median(waitMs.Order().ToArray()):F2} ms, max {waitMs.Max():F2} ms per step; machine steal {steal.Sum() * 10} ms over all steps " +
                          $"(in {steal.Count(s => s > 0)} steps)");
        if (runningMs[0] > 0)
            Console.WriteLine($"  the stepping thread on a CPU (its waits for the other core included, other processes' turns not): min {runningMs[0]:F2} ms, " +
                              $"median {Median(runningMs):F2} ms, max {runningMs[^1]:F2} ms, median/min {Median(runningMs) / runningMs[0]:F2}");
        control?.Print("  ");
        Console.WriteLine("  step times, histogram in bins of 5% of the minimum:");
        CharRnnStepDistribution.PrintHistogram(series, "    ");
        Console.WriteLine("  step times in order (ms; * the JIT compiled methods during the step):");
        CharRnnStepDistribution.PrintSeries(series, step => compiled[step] > 0, "    ");
        Console.WriteLine($"  {"phase",-10} {"min ms",8} {"median ms",10} {"p90 ms",8} {"max ms",8} {"mean KB",10}");
        for (int phase = 0; phase < phases; phase++)
        {
            int p = phase;
            var phaseTimes = Enumerable.Range(0, measured).Select(s => Milliseconds(stamps[s, p + 1] - stamps[s, p])).Order().ToArray();
            double phaseBytes = Enumerable.Range(0, measured).Average(s => (double)(bytes[s, p + 1] - bytes[s, p]));
            Console.WriteLine($"  {PhaseNames[phase],-10} {phaseTimes[0],8:F2} {Median(phaseTimes),10:F2} " +
                              $"{CharRnnStepDistribution.Percentile(phaseTimes, 0.9),8:F2} {phaseTimes[^1],8:F2} " +
                              $"{(types is null ? (phaseBytes / 1024).ToString("F1") : "-"),10}");
        }
        if (args.Contains("--per-step"))
        {
            Console.WriteLine($"  {"step",-10} {"wait ms",8} {"run ms",8} {"steal ms",8} {"time",8}    (the stepping thread's run-queue wait and CPU time, machine steal; phases)");
            for (int step = 0; step < measured; step++)
                Console.WriteLine($"  {step,-10} {waiting[step] / 1e6,8:F2} {running[step] / 1e6,8:F2} {steal[step] * 10,8} {series[step],8:F2} ms" +
                                  string.Concat(Enumerable.Range(0, phases).Select(p => $" {PhaseNames[p]} {Milliseconds(stamps[step, p + 1] - stamps[step, p]):F1}")));
        }
        for (int step = 0; step < measured; step++)
            if (types is null && stepBytes[step] >= OutlierBytes)
                Console.WriteLine($"  step {step} allocated {stepBytes[step] / 1024.0:F1} KB: " + string.Join(", ",
                    Enumerable.Range(0, phases).Select(p => $"{PhaseNames[p]} {(bytes[step, p + 1] - bytes[step, p]) / 1024.0:F1}")));
        types?.Print(measured);
    }

    /// <summary>The recorded graph of one forward and loss (ops by name) and the tensors a whole step creates.</summary>
    private static void PrintGraph(CharRnnStepSetup setup)
    {
        int tensors;
        var ops = new Dictionary<string, int>();
        using (var scope = TensorScope.Begin())
        {
            setup.Step.Run(setup.Inputs, setup.Targets, CharRnnStepSetup.Steps, CharRnnStepSetup.Batch, new Generator(1));
            tensors = scope.Count;
        }
        using (var scope = TensorScope.Begin())
        {
            var (logits, _) = setup.Model.Forward(setup.Inputs, CharRnnStepSetup.Steps, CharRnnStepSetup.Batch, dropoutGenerator: new Generator(1));
            var loss = AutoDiffRnn.Losses.Loss.CrossEntropy(logits.Reshape(-1, CharRnnStepSetup.Vocabulary), setup.Targets);
            var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            var pending = new Stack<Tensor>([loss]);
            while (pending.TryPop(out var tensor))
            {
                if (tensor.GradFn is not { } node || !seen.Add(tensor)) continue;
                ops[node.OperationName] = ops.GetValueOrDefault(node.OperationName) + 1;
                foreach (var input in node.Inputs) pending.Push(input);
            }
            loss.Backward(); // frees the graph (the fused op's pooled buffers go back)
        }
        Console.WriteLine($"  a step creates {tensors} tensors; its forward and loss record {ops.Values.Sum()} ops: " +
                          string.Join(", ", ops.OrderByDescending(op => op.Value).Select(op => $"{op.Key} {op.Value}")));
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>The runtime's allocation samples (GCAllocationTick: one event per ~100 KB allocated), counted by type and heap.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly Dictionary<string, (int Samples, long Bytes)> byType = [];
        private volatile bool recording;

        public void Start() => recording = true;

        public void Stop() => recording = false;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: allocation ticks
        }

        protected override void OnEventWritten(EventWrittenEventArgs data)
        {
            if (!recording || data.EventName is null || !data.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)) return;
            int typeIndex = data.PayloadNames!.IndexOf("TypeName"), kindIndex = data.PayloadNames.IndexOf("AllocationKind");
            int amountIndex = data.PayloadNames.IndexOf("AllocationAmount64");
            string type = typeIndex >= 0 ? data.Payload![typeIndex]?.ToString() ?? "?" : "?";
            string heap = kindIndex >= 0 && Convert.ToInt32(data.Payload![kindIndex]) == 1 ? "large" : "small";
            long amount = amountIndex >= 0 ? Convert.ToInt64(data.Payload![amountIndex]) : 0;
            lock (byType)
            {
                var key = $"{type} ({heap})";
                var (samples, total) = byType.GetValueOrDefault(key);
                byType[key] = (samples + 1, total + amount);
            }
        }

        public void Print(int steps)
        {
            Console.WriteLine("  allocation samples by type (~100 KB each) over the measured steps:");
            lock (byType)
                foreach (var (type, (samples, total)) in byType.OrderByDescending(entry => entry.Value.Bytes))
                    Console.WriteLine($"    {samples,5} samples, {total / 1024.0 / steps,8:F1} KB per step  {type}");
        }
    }
}
