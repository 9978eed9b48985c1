using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Optim;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AutoDiffRnn.Benchmarks;

/// <summary>One step per iteration, 100 iterations after 10 warm-up steps, in this process; min and median columns beside the mean.</summary>
public sealed class HundredStepsJob : ManualConfig
{
    /// <summary>The job.</summary>
    public HundredStepsJob()
    {
        AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(10).WithIterationCount(100)
            .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(InProcessEmitToolchain.Instance));
        AddColumn(StatisticColumn.Min, StatisticColumn.Median, StatisticColumn.Max);
    }
}

/// <summary>
/// The main job's training step, as <c>train char-rnn</c> runs it with its defaults: embedding 62→64 with dropout 0.3, LSTM 64→256
/// (fused), dropout, linear 256→62, cross-entropy over T=64 × B=32 next characters, gradient clipping at norm 5 and Adam, inside a
/// <see cref="TensorScope"/> per step. Each iteration is one step, so the summary's Min and Median are the step's minimum and median
/// over 100 steps (issue 17 asks median ≤ 1.2 × min); the memory diagnoser gives the bytes allocated per step (all threads) and the
/// generation-2 collections per 1000 steps. Run:
/// <c>dotnet run -c Release --project tests/AutoDiffRnn.Benchmarks -- --filter '*CharRnnStep*'</c>.
/// </summary>
[Config(typeof(HundredStepsJob))]
[MemoryDiagnoser]
public class CharRnnStepBenchmarks
{
    private const int Steps = 64, Batch = 32, Vocabulary = 62;
    private CharLanguageModel model = null!;
    private Optimizer optimizer = null!;
    private readonly int[] inputs = new int[Steps * Batch];
    private readonly int[] targets = new int[Steps * Batch];
    private ulong step;

    /// <summary>The model with the CLI's defaults and Adam at the CLI's learning rate.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var options = new CharRnnOptions();
        model = new CharLanguageModel(new CharModelConfig(options.Model, Vocabulary, options.EmbeddingSize, options.HiddenSize, options.Layers,
            options.Dropout), new Generator(options.Seed));
        optimizer = new Adam(model.Parameters(), options.LearningRate);
        var generator = new Generator(3);
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = generator.NextInt(Vocabulary);
            targets[i] = generator.NextInt(Vocabulary);
        }
    }

    /// <summary>ZeroGrad, forward with dropout, cross-entropy, backward, clipping, Adam; returns the loss.</summary>
    [Benchmark]
    public double TrainingStep()
    {
        using var scope = TensorScope.Begin();
        optimizer.ZeroGrad();
        var (logits, _) = model.Forward(inputs, Steps, Batch, dropoutGenerator: new Generator(++step));
        var loss = Loss.CrossEntropy(logits.Reshape(Steps * Batch, Vocabulary), targets);
        loss.Backward();
        GradientClipping.ClipGradNorm(model.NamedParameters(), 5);
        optimizer.Step();
        return loss.ToScalar();
    }
}
