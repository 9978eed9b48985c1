using AutoDiffRnn.Compile;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;
using Xunit.Abstractions;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// A training loop in steady state allocates (almost) nothing: a small character model (embedding, dropout, fused LSTM, linear,
/// cross-entropy, gradient clipping, Adam), one <see cref="TensorScope"/> per step, allocates less than 64 KB per step on all threads
/// after warm-up, while its tensors alone take several hundred KB per step. The eager composed path too: an LSTM cell written with
/// public ops (<see cref="ExampleCell"/>, one tape op per primitive) run over T = 24 steps, forward, sum, backward, one scope per step,
/// makes hundreds of tensors of one shape ([B, H] per gate, per product, per step, forward and backward) that come back to the storage
/// pool when the scope ends; what it still allocates is the graph's bookkeeping (nodes, closures, tensor objects), under a tenth of
/// what the same step allocates without a scope. Allocation counts are deterministic (unlike time), so the bounds are unit tests;
/// speed is measured in the benchmarks (CharRnnStepBenchmarks).
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class SteadyStateAllocationTests(ITestOutputHelper output)
{
    private const int Steps = 16, Batch = 8, Vocabulary = 32, EmbeddingSize = 16, HiddenSize = 64;
    private const long Bound = 64 * 1024;
    private const int EagerSteps = 24, EagerBatch = 32, EagerInput = 32, EagerHidden = 128;

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
        int warmUp = JitQuietWarmUp.Run(step => losses.Add(model.Step((ulong)step)));
        long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        double perStep = AllocatedBytes.PerCall(step => losses.Add(model.Step((ulong)(1000 + step))), 20);
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore;
        output.WriteLine($"scoped step: {perStep / 1024:F1} KB after {warmUp} warm-up steps; {compiled} methods compiled while measuring");
        Assert.True(perStep < Bound, $"a scoped fused LSTM training step allocated {perStep / 1024:F1} KB (all threads) after {warmUp} " +
                                     $"warm-up steps ({compiled} methods compiled during the 20 measured steps); the bound is 64 KB");
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

    [Fact]
    public void AScopedEagerLstmStepAllocatesUnderATenthOfAnUnscopedOne()
    {
        var generator = new Generator(5);
        var example = ExampleCell.Create("lstm", EagerInput, EagerHidden, DType.Float32, generator);
        var cell = example.Compile(compile: false);
        var input = Tensor.Normal(new Shape(EagerSteps, EagerBatch, EagerInput), generator: generator);
        var state = new[] { Tensor.Zeros(new Shape(EagerBatch, EagerHidden)), Tensor.Zeros(new Shape(EagerBatch, EagerHidden)) };
        void Step(bool scoped)
        {
            using var scope = scoped ? TensorScope.Begin() : null;
            foreach (var parameter in example.Parameters) parameter.ZeroGrad();
            Recurrence.Run(cell, input, state).Output.Sum().Backward();
        }

        double unscoped = AllocatedBytes.PerCall(_ => Step(scoped: false), count: 3, warmUp: 3);
        double scoped = AllocatedBytes.PerCall(_ => Step(scoped: true), count: 5, warmUp: 3);
        output.WriteLine($"eager LSTM step: scoped {scoped / 1024:F1} KB, unscoped {unscoped / 1024:F1} KB");
        Assert.True(scoped < unscoped / 10,
            $"a scoped eager LSTM step allocated {scoped / 1024:F1} KB after warm-up, an unscoped one {unscoped / 1024:F1} KB: " +
            "the scope's tensors did not come back from the pool");
    }
}
