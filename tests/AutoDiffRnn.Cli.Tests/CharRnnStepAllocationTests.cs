using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Tests;

/// <summary>
/// The main job's training step at the CLI's default sizes (T=64, B=32, LSTM 64→256, dropout, clipping, Adam) in a TensorScope per step:
/// after warm-up its storage comes from the pool, so the calling thread allocates only small objects per step (a step without
/// pooling allocated 32 MB). Per-thread bytes, so tests running beside this one do not count; the benchmark
/// (CharRnnStepBenchmarks) reports all threads and the collections.
/// </summary>
public sealed class CharRnnStepAllocationTests
{
    private const int Steps = 64, Batch = 32, Vocabulary = 62;

    [Fact]
    public void AScopedStepAllocatesNoTensorStorageAfterWarmUp()
    {
        var options = new CharRnnOptions();
        var model = new CharLanguageModel(new CharModelConfig(options.Model, Vocabulary, options.EmbeddingSize, options.HiddenSize,
            options.Layers, options.Dropout), new Generator(1));
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        var generator = new Generator(5);
        var inputs = Enumerable.Range(0, Steps * Batch).Select(_ => generator.NextInt(Vocabulary)).ToArray();
        var targets = Enumerable.Range(0, Steps * Batch).Select(_ => generator.NextInt(Vocabulary)).ToArray();
        var losses = new List<double>();
        void Step(int step)
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var (logits, _) = model.Forward(inputs, Steps, Batch, dropoutGenerator: new Generator((ulong)step));
            var loss = Loss.CrossEntropy(logits.Reshape(Steps * Batch, Vocabulary), targets);
            loss.Backward();
            GradientClipping.ClipGradNorm(model.NamedParameters(), options.ClipNorm);
            optimizer.Step();
            losses.Add(loss.ToScalar());
        }
        for (int step = 0; step < 3; step++) Step(step);
        const int measured = 5;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 3; step < 3 + measured; step++) Step(step);
        double perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)measured;
        Assert.True(perStep < 512 * 1024, $"a scoped step allocated {perStep / 1024:F0} KB on the calling thread");
        Assert.True(losses[^1] < losses[0], $"the loss did not fall: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
    }
}
