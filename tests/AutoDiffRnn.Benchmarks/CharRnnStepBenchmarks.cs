using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Optim;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AutoDiffRnn.Benchmarks;

/// <summary>One step per iteration, 100 iterations after 10 warm-up steps, in this process; min, median, max and median/min beside the mean.</summary>
public sealed class HundredStepsJob : ManualConfig
{
    /// <summary>The job.</summary>
    public HundredStepsJob()
    {
        AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(10).WithIterationCount(100)
            .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(InProcessEmitToolchain.Instance));
        AddColumn(StatisticColumn.Min, StatisticColumn.Median, StatisticColumn.Max, new MedianOverMinColumn());
    }
}

/// <summary>
/// The main job's training step, as <c>train char-rnn</c> runs it with its defaults (<see cref="CharRnnTrainingStep"/>): embedding 62→64
/// with dropout 0.3, LSTM 64→256 (fused), dropout, linear 256→62, cross-entropy over T=64 × B=32 next characters, gradient clipping at
/// norm 5 and Adam, inside a <see cref="TensorScope"/> per step. Each iteration is one step, so the summary's Min and Median are the
/// step's minimum and median over 100 steps and Median/Min their ratio (issue 17 asks ≤ 1.2); the memory diagnoser gives the bytes
/// allocated per step (all threads) and the collections per 1000 steps. Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*CharRnnStep*'</c>; the plain harness
/// (<see cref="CharRnnStepHarness"/>, <c>-- --char-rnn-steps</c>) gives the same figures per phase of the step.
/// </summary>
[Config(typeof(HundredStepsJob))]
[MemoryDiagnoser]
public class CharRnnStepBenchmarks
{
    private CharRnnStepSetup setup = null!;
    private ulong step;

    /// <summary>The model with the CLI's defaults and Adam at the CLI's learning rate, warmed up until the JIT's tiering is done
    /// (<see cref="CharRnnStepSetup.WarmUp"/>; BenchmarkDotNet's own 10 warm-up steps follow).</summary>
    [GlobalSetup]
    public void Setup()
    {
        setup = new CharRnnStepSetup();
        int steps = CharRnnStepSetup.WarmUp(0, CharRnnStepSetup.JitQuietSteps, _ => TrainingStep());
        Console.WriteLine($"// char-rnn step: {steps} warm-up steps until the JIT compiled nothing for {CharRnnStepSetup.JitQuietSteps} steps");
    }

    /// <summary>ZeroGrad, forward with dropout, cross-entropy, backward, clipping, Adam; returns the loss.</summary>
    [Benchmark]
    public double TrainingStep()
    {
        using var scope = TensorScope.Begin();
        return setup.Step.Run(setup.Inputs, setup.Targets, CharRnnStepSetup.Steps, CharRnnStepSetup.Batch, new Generator(++step));
    }
}

/// <summary>The main job's model at the CLI's defaults, Adam at the CLI's learning rate and one fixed batch of random ids.</summary>
public sealed class CharRnnStepSetup
{
    /// <summary>Time steps T and sequences B of a batch, characters in the vocabulary.</summary>
    public const int Steps = 64, Batch = 32, Vocabulary = 62;

    /// <summary>
    /// Consecutive steps in which the JIT compiled no method that end a warm-up: more than the 30 calls after which tiered compilation
    /// promotes a method, so a method called once per step has had its turn (and its instrumented tier's, with dynamic PGO).
    /// </summary>
    public const int JitQuietSteps = 40;

    /// <summary>Warm-ups end after this many steps even if the JIT is still compiling.</summary>
    public const int MaximumWarmUpSteps = 400;

    /// <summary>
    /// Runs <paramref name="step"/>(index) at least <paramref name="minimumSteps"/> times, then on until the JIT (tiered compilation, which
    /// recompiles the methods a step calls once they have been called 30 times, on a background thread that takes a core from the step)
    /// has compiled nothing for <paramref name="quietSteps"/> steps in a row, or <see cref="MaximumWarmUpSteps"/> steps; returns the steps run.
    /// A training run of thousands of steps reaches that state early; this measures it, not the first minute of a run.
    /// </summary>
    public static int WarmUp(int minimumSteps, int quietSteps, Action<int> step)
    {
        int steps = 0, quiet = 0;
        while (steps < minimumSteps || (quiet < quietSteps && steps < MaximumWarmUpSteps))
        {
            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            step(steps++);
            quiet = System.Runtime.JitInfo.GetCompiledMethodCount() == compiled ? quiet + 1 : 0;
        }
        return steps;
    }

    /// <summary>Builds the model, the optimizer and the batch.</summary>
    public CharRnnStepSetup()
    {
        var options = new CharRnnOptions();
        var model = new CharLanguageModel(new CharModelConfig(options.Model, Vocabulary, options.EmbeddingSize, options.HiddenSize, options.Layers,
            options.Dropout), new Generator(options.Seed));
        Model = model;
        Step = new CharRnnTrainingStep(model, new Adam(model.Parameters(), options.LearningRate), options.ClipNorm);
        var generator = new Generator(3);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Inputs[i] = generator.NextInt(Vocabulary);
            Targets[i] = generator.NextInt(Vocabulary);
        }
    }

    /// <summary>The model.</summary>
    public CharLanguageModel Model { get; }

    /// <summary>The training step.</summary>
    public CharRnnTrainingStep Step { get; }

    /// <summary>Input ids, [T, B].</summary>
    public int[] Inputs { get; } = new int[Steps * Batch];

    /// <summary>Target ids, [T, B].</summary>
    public int[] Targets { get; } = new int[Steps * Batch];
}
