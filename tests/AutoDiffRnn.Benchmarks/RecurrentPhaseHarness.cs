using System.Diagnostics;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.FSharp.Torch;
using AutoDiffRnn.Kernels;
using AutoDiffRnn.Nn;
using Microsoft.FSharp.Core;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// A plain harness (not BenchmarkDotNet) that takes a recurrent layer's inference apart into its phases, each timed over many calls
/// (median and min, after warm-up calls), in float32: the whole inference (ours and libtorch's, interleaved call by call so load on the
/// machine hits both alike), the fused op's forward with and without recording, the input projection GEMM, the per-step recurrent
/// product of one core's block of units (alone, and on every core at once), the gate math of one core's block, and the step barrier.
/// Run: <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --recurrent-phases [lstm|gru|rnn] [T B I H] [calls] [--kernels]
/// [--bi] [--l2] [--blocks-only]</c> (default LSTM T64 B32 I128 H256, 30 calls; <c>--kernels</c> skips libtorch and the op-level phases,
/// <c>--blocks-only</c> stops after the unit-block inference on one thread (for a profiler), <c>--bi</c> and
/// <c>--l2</c> make the whole-layer comparison bidirectional and two layers deep). Besides wall-clock times it reports the calling
/// thread's CPU time: on a loaded machine the single-threaded phases ("1 thread: ...") compare the work of each path fairly.
/// </summary>
public static class RecurrentPhaseHarness
{
    /// <summary>The command-line switch that selects this harness.</summary>
    public const string Switch = "--recurrent-phases";

    private const int WarmUpCalls = 5;

    private static bool kernelsOnly, blocksOnly, bidirectional;
    private static int layers = 1;

    /// <summary>Runs the harness with the arguments after <see cref="Switch"/>.</summary>
    public static void Run(string[] args)
    {
        kernelsOnly = args.Contains("--kernels");
        blocksOnly = args.Contains("--blocks-only");
        bidirectional = args.Contains("--bi");
        layers = args.Contains("--l2") ? 2 : 1;
        var kind = args.FirstOrDefault(arg => !int.TryParse(arg, out _) && !arg.StartsWith("--", StringComparison.Ordinal))?.ToLowerInvariant() switch
        {
            "gru" => RecurrentKind.Gru,
            "rnn" => RecurrentKind.RnnTanh,
            _ => RecurrentKind.Lstm,
        };
        var numbers = args.Where(arg => int.TryParse(arg, out _)).Select(int.Parse).ToArray();
        int steps = numbers.Length >= 4 ? numbers[0] : 64, batch = numbers.Length >= 4 ? numbers[1] : 32;
        int inputSize = numbers.Length >= 4 ? numbers[2] : 128, hidden = numbers.Length >= 4 ? numbers[3] : 256;
        int calls = numbers.Length is 1 or 5 ? numbers[^1] : 30;
        switch (kind)
        {
            case RecurrentKind.Gru: Measure<GruCellMath>(kind, steps, batch, inputSize, hidden, calls); break;
            case RecurrentKind.RnnTanh: Measure<RnnCellMath<TanhActivation>>(kind, steps, batch, inputSize, hidden, calls); break;
            default: Measure<LstmCellMath>(kind, steps, batch, inputSize, hidden, calls); break;
        }
    }

    private static void Measure<TCell>(RecurrentKind kind, int steps, int batch, int inputSize, int hidden, int calls)
        where TCell : struct, IFusedCell
    {
        int gates = TCell.Gates, cores = Gemm.MaxParallelism;
        double gateProducts = 2.0 * steps * batch * gates * hidden * (inputSize + hidden);
        Console.WriteLine($"{kind} T{steps} B{batch} I{inputSize} H{hidden}, float32, {cores} cores, {calls} calls after {WarmUpCalls} warm-up " +
                          $"({gateProducts / 1e9:F3} GFLOP of gate products per inference); median / min");

        var generator = new Generator(1);
        var layer = new RecurrentLayer(kind, inputSize, hidden, layers, bidirectional: bidirectional, generator: generator) { UseFusedKernels = true };
        Console.WriteLine($"  the layer: {layers} layer(s), {(bidirectional ? "bidirectional" : "one direction")} (the phases below: one layer, one direction)");
        var input = Tensor.Normal(new Shape(steps, batch, inputSize), generator: generator);
        AutoDiffRnn.FSharp.Torch.TorchNative.EnsureLoaded();
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        var torchModule = TorchRecurrent.OfLayer(WeightLayout.PyTorchLayout, layer);
        var torchInput = TorchTensor.OfTensor(input);

        void Ours()
        {
            using var noGrad = GradMode.NoGrad();
            using var scope = TensorScope.Begin();
            layer.Forward(input);
        }
        void Torch()
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var noGrad = TorchSharp.torch.no_grad();
            TorchRecurrent.Forward(torchModule, false, torchInput, FSharpOption<TorchSharp.torch.Tensor>.None,
                FSharpOption<TorchSharp.torch.Tensor>.None, FSharpOption<int[]>.None);
        }
        Report("inference, ours alone (before any libtorch call)", Time(Ours, calls), gateProducts);
        if (!kernelsOnly)
        {
            var (ours, torch) = TimeInterleaved(Ours, Torch, calls);
            Report("inference, ours", ours, gateProducts);
            Report("inference, libtorch", torch, gateProducts);
            Console.WriteLine($"  {"ours/libtorch",-44} median {ours.Median / torch.Median:F2}, min {ours.Min / torch.Min:F2}");
        }

        // the fused op alone, on tensors of the layer's shapes
        var weightIh = Tensor.Normal(new Shape(gates * hidden, inputSize), 0, 0.1, generator: generator);
        var weightHh = Tensor.Normal(new Shape(gates * hidden, hidden), 0, 0.1, generator: generator);
        var biasIh = Tensor.Normal(new Shape(gates * hidden), 0, 0.1, generator: generator);
        var biasHh = Tensor.Normal(new Shape(gates * hidden), 0, 0.1, generator: generator);
        var h0 = Tensor.Zeros(new Shape(batch, hidden));
        var inputs = new RecurrenceInputs(input, h0, TCell.HasCellState ? Tensor.Zeros(new Shape(batch, hidden)) : null, weightIh, weightHh,
            biasIh, biasHh, false, null);
        var rows = Tensor.Zeros(new Shape(steps, batch, (TCell.HasCellState ? 3 : 2) * hidden));
        var target = InferenceTarget.SequenceRows(rows, hidden, TCell.HasCellState);
        // the work of each path on one thread (CPU time: what the thread ran, whatever the load)
        using (KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 1 }))
        {
            Report($"1 thread: unit blocks on products ({cores} blocks)", Time(() => UnitBlockInference<float, TCell>.Run(inputs, target, cores), calls),
                gateProducts);
            if (blocksOnly) return;
            Report("1 thread: recording forward", Time(() => FusedForward<float, TCell>.Run(inputs, rows, save: true)!.Release(), calls),
                gateProducts);
        }
        var (byUnits, bySequences) = TimeInterleaved(() => UnitBlockInference<float, TCell>.Run(inputs, target, cores),
            () => FusedForward<float, TCell>.RunSplitBySequences(inputs, rows), calls);
        Report("no recording, split by units (interleaved)", byUnits, gateProducts);
        Report("no recording, split by sequences (interleaved)", bySequences, gateProducts);
        var waitedBefore = StepBlockSchedule.Waited;
        Report("unit blocks on products h W_hhT", Time(() => UnitBlockInference<float, TCell>.Run(inputs, target, cores), calls), gateProducts);
        double waitedPerCall = (StepBlockSchedule.Waited - waitedBefore).TotalMilliseconds / (calls + WarmUpCalls);
        Console.WriteLine($"  {"  step barrier waits, all workers, per call",-52} {waitedPerCall,8:F3} ms (mean)");
        if (!kernelsOnly)
        {
            Report("fused op, no recording", Time(() => FusedForward<float, TCell>.Run(inputs, rows, save: false), calls), gateProducts);
            Report("fused op, recording forward", Time(() => FusedForward<float, TCell>.Run(inputs, rows, save: true)!.Release(), calls), gateProducts);
        }

        // the input projections of all steps: one GEMM
        int projectionRows = steps * batch;
        var x = input.Span<float>()[..(projectionRows * inputSize)].ToArray();
        var w = weightIh.Span<float>()[..(gates * hidden * inputSize)].ToArray();
        var projections = new float[projectionRows * gates * hidden];
        Report("input projection GEMM", Time(() => Gemm.Multiply<float>(x, false, w, true, projections, projectionRows, gates * hidden, inputSize,
            accumulate: false), calls), 2.0 * projectionRows * gates * hidden * inputSize);
        using (KernelTuning.Use(KernelTuning.Current with { MaxParallelism = 1 }))
        using (var packedIh = Gemm.Pack<float>(w, transposeB: true, k: inputSize, n: gates * hidden, rows: 4))
        using (var packedForRows = Gemm.Pack<float>(w, transposeB: true, k: inputSize, n: gates * hidden, rows: projectionRows))
        {
            Report("1 thread: input projection, W_ih packed for its rows", Time(() => Gemm.Multiply<float>(x, false, packedForRows, projections,
                projectionRows, accumulate: false), calls), 2.0 * projectionRows * gates * hidden * inputSize);
            Report("1 thread: input projection GEMM", Time(() => Gemm.Multiply<float>(x, false, w, true, projections, projectionRows, gates * hidden,
                inputSize, accumulate: false), calls), 2.0 * projectionRows * gates * hidden * inputSize);
            Report("1 thread: input projection, W_ih packed for 4 rows", Time(() => Gemm.Multiply<float>(x, false, packedIh, projections,
                projectionRows, accumulate: false), calls), 2.0 * projectionRows * gates * hidden * inputSize);
        }

        // one core's block of units: its rows of W_hh in every gate, packed, and T products h W_blockᵀ
        int width = hidden / cores;
        var block = new float[gates * width * hidden];
        var weight = weightHh.Span<float>();
        for (int gate = 0; gate < gates; gate++) weight.Slice(gate * hidden * hidden, width * hidden).CopyTo(block.AsSpan(gate * width * hidden));
        var state = Tensor.Normal(new Shape(batch, hidden), generator: generator).Span<float>()[..(batch * hidden)].ToArray();
        double stepFlops = 2.0 * batch * gates * width * hidden * steps;
        using (var packed = Gemm.Pack<float>(block, transposeB: true, k: hidden, n: gates * width, rows: batch))
        {
            var products = new float[batch * gates * width];
            void Products()
            {
                for (int k = 0; k < steps; k++) Gemm.Multiply<float>(state, false, packed, products, batch, accumulate: true, parallel: false);
            }
            Report($"T step products, 1 core, {batch}x{hidden}x{gates * width}", Time(Products, calls), stepFlops);
            var perCore = Enumerable.Range(0, cores).Select(_ => Gemm.Pack<float>(block, transposeB: true, k: hidden, n: gates * width, rows: batch)).ToArray();
            var productsPerCore = Enumerable.Range(0, cores).Select(_ => new float[batch * gates * width]).ToArray();
            var statesPerCore = Enumerable.Range(0, cores).Select(_ => (float[])state.Clone()).ToArray();
            void AllCores() => Parallel.For(0, cores, core =>
            {
                for (int k = 0; k < steps; k++)
                    Gemm.Multiply<float>(statesPerCore[core], false, perCore[core], productsPerCore[core], batch, accumulate: true, parallel: false);
            });
            Report($"T step products, {cores} cores at once (each)", Time(AllCores, calls), stepFlops);
            foreach (var matrix in perCore) matrix.Dispose();

            // gate math of the block: CellSteps.Forward on every row, T times
            var projection = new float[batch * gates * hidden];
            for (int i = 0; i < projection.Length; i++) projection[i] = (float)(Math.Sin(i) * 2);
            for (int i = 0; i < products.Length; i++) products[i] = (float)Math.Cos(i);
            var previous = (float[])state.Clone();
            var next = new float[batch * hidden];
            var cells = new float[batch * hidden];
            var output = new float[batch * hidden];
            void GateMath()
            {
                for (int k = 0; k < steps; k++)
                    for (int b = 0; b < batch; b++)
                    {
                        var row = new CellForwardRow<float>
                        {
                            HiddenSize = hidden, Width = width, Projection = projection.AsSpan(b * gates * hidden),
                            Recurrent = products.AsSpan(b * gates * width, gates * width), RecurrentStride = width,
                            PreviousHidden = previous.AsSpan(b * hidden, width), NextHidden = next.AsSpan(b * hidden, width),
                            Cell = TCell.HasCellState ? cells.AsSpan(b * hidden, width) : [], Output = output.AsSpan(b * hidden, width),
                        };
                        CellSteps.Forward<float, TCell>(ref row);
                    }
            }
            Report($"T steps' gate math, 1 core, {batch}x{width} units", Time(GateMath, calls), null);
        }

        // the step barrier: T steps of empty blocks on every core
        Report($"T step barriers, {cores} workers", Time(() => new StepBlockSchedule(steps, cores).Run(cores, (_, _) => { }), calls), null);
    }

    private readonly record struct Timing(double Median, double Min, double CpuMin = double.NaN);

    private static Timing Time(Action action, int calls)
    {
        for (int i = 0; i < WarmUpCalls; i++) action();
        var times = new double[calls];
        double cpuMin = double.PositiveInfinity;
        for (int i = 0; i < calls; i++)
        {
            double cpuStart = ThreadCpuTime.Milliseconds();
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            cpuMin = Math.Min(cpuMin, ThreadCpuTime.Milliseconds() - cpuStart);
        }
        return Summarize(times) with { CpuMin = cpuMin };
    }

    private static (Timing First, Timing Second) TimeInterleaved(Action first, Action second, int calls)
    {
        for (int i = 0; i < WarmUpCalls; i++)
        {
            first();
            second();
        }
        var a = new double[calls];
        var b = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            first();
            a[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            second();
            b[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return (Summarize(a), Summarize(b));
    }

    private static Timing Summarize(double[] times)
    {
        Array.Sort(times);
        double median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
        return new Timing(median, times[0]);
    }

    private static void Report(string phase, Timing timing, double? flops)
    {
        string rate = flops is { } f ? $"  {f / timing.Median / 1e6,6:F1} / {f / timing.Min / 1e6,6:F1} GFLOP/s" : "";
        string cpu = double.IsNaN(timing.CpuMin) ? "" : $"  caller's CPU min {timing.CpuMin,8:F3} ms" +
            (flops is { } g ? $" ({g / timing.CpuMin / 1e6,5:F1} GFLOP/s)" : "");
        Console.WriteLine($"  {phase,-52} {timing.Median,8:F3} / {timing.Min,8:F3} ms{rate}{cpu}");
    }
}
