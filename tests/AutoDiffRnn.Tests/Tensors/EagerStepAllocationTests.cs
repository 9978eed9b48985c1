using AutoDiffRnn.Compile;
using AutoDiffRnn.Tests.Support;
using Xunit.Abstractions;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// The eager composed path in steady state: an LSTM cell written with public ops (<see cref="ExampleCell"/>, one tape op per primitive)
/// run over T = 24 steps, forward, sum, backward, one <see cref="TensorScope"/> per step. Its tensors come back to the storage pool when
/// the scope ends and the next step rents them again, although the step makes hundreds of tensors of one shape ([B, H] per gate, per
/// product, per step, forward and backward): what it still allocates is the graph's bookkeeping (nodes, closures, tensor objects),
/// under a tenth of what the same step allocates without a scope. Allocation counts are deterministic; speed is measured in the benchmarks.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class EagerStepAllocationTests(ITestOutputHelper output)
{
    private const int Steps = 24, Batch = 32, Input = 32, Hidden = 128;

    [Fact]
    public void AScopedEagerLstmStepAllocatesUnderATenthOfAnUnscopedOne()
    {
        var generator = new Generator(5);
        var example = ExampleCell.Create("lstm", Input, Hidden, DType.Float32, generator);
        var cell = example.Compile(compile: false);
        var input = Tensor.Normal(new Shape(Steps, Batch, Input), generator: generator);
        var state = new[] { Tensor.Zeros(new Shape(Batch, Hidden)), Tensor.Zeros(new Shape(Batch, Hidden)) };
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
