using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;
using Xunit.Abstractions;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// A training loop in steady state allocates (almost) nothing: a small character model (embedding, dropout, fused LSTM, linear,
/// cross-entropy, gradient clipping, Adam), one <see cref="TensorScope"/> per step, allocates less than 64 KB per step on all threads
/// after warm-up, while its tensors alone take several hundred KB per step. Allocation counts are deterministic (unlike time), so the
/// bound is a unit test; speed is measured in the benchmarks (CharRnnStepBenchmarks).
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class SteadyStateAllocationTests(ITestOutputHelper output)
{
    private const int Steps = 16, Batch = 8, Vocabulary = 32, EmbeddingSize = 16, HiddenSize = 64;
    private const long Bound = 64 * 1024;

    private sealed class SmallModel
    {
        private readonly Embedding embedding;
        private readonly RecurrentLayer lstm;
        private readonly Linear decoder;
        private readonly Tensor[] parameters;
        private readonly Adam optimizer;
        private readonly int[] inputs, targets;

        public SmallModel()
        {
            var generator = new Generator(11);
            embedding = new Embedding(Vocabulary, EmbeddingSize, generator: generator);
            lstm = new RecurrentLayer(RecurrentKind.Lstm, EmbeddingSize, HiddenSize, generator: generator) { UseFusedKernels = true };
            decoder = new Linear(HiddenSize, Vocabulary, generator: generator);
            parameters = [.. embedding.Parameters(), .. lstm.Parameters(), .. decoder.Parameters()];
            optimizer = new Adam(parameters, 1e-2);
            inputs = Enumerable.Range(0, Steps * Batch).Select(_ => generator.NextInt(Vocabulary)).ToArray();
            targets = Enumerable.Range(0, Steps * Batch).Select(i => inputs[i] * 7 % Vocabulary).ToArray(); // learnable: a fixed map
        }

        /// <summary>One step; its tensors are released at the end when <paramref name="scoped"/>.</summary>
        public double Step(ulong seed, bool scoped = true)
        {
            using var scope = scoped ? TensorScope.Begin() : null;
            optimizer.ZeroGrad();
            var embedded = embedding.Forward(inputs, new Shape(Steps, Batch)).Dropout(0.1, training: true, new Generator(seed));
            var logits = decoder.Forward(lstm.Forward(embedded).Output);
            var loss = Loss.CrossEntropy(logits.Reshape(Steps * Batch, Vocabulary), targets);
            loss.Backward();
            GradientClipping.ClipGradNorm(parameters, 1.0);
            optimizer.Step();
            return loss.ToScalar();
        }
    }

    [Fact]
    public void AScopedFusedLstmTrainingStepAllocatesLessThan64KilobytesAfterWarmUp()
    {
        var model = new SmallModel();
        var losses = new List<double>();
        for (int step = 0; step < 5; step++) losses.Add(model.Step((ulong)step));
        double perStep = AllocatedBytes.PerCall(step => losses.Add(model.Step((ulong)(100 + step))), 20);
        output.WriteLine($"scoped step: {perStep / 1024:F1} KB");
        Assert.True(perStep < Bound, $"a scoped fused LSTM training step allocated {perStep / 1024:F1} KB (all threads) after warm-up; the bound is 64 KB");
        Assert.True(losses[^1] < losses[0], $"the loss did not fall: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
    }

    [Fact]
    public void WithoutAScopeTheSameStepAllocatesItsTensorsEveryTime()
    {
        // the counter sees tensor storage: a step whose tensors are never released rents new arrays every step, far above the bound
        var model = new SmallModel();
        for (int step = 0; step < 5; step++) model.Step((ulong)step);
        double perStep = AllocatedBytes.PerCall(step => model.Step((ulong)(100 + step), scoped: false), 5);
        output.WriteLine($"unscoped step: {perStep / 1024:F1} KB");
        Assert.True(perStep > 3 * Bound, $"an unscoped step allocated only {perStep / 1024:F1} KB");
    }
}
