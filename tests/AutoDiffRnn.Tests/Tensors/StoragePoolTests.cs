using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// Pooled tensor storage: what goes back to the pool (gradients the backward pass created and consumed, leaf gradients cleared by
/// ZeroGrad, the tensors of a TensorScope) and what never does (tensors the caller holds, views kept past a scope), with values
/// unchanged by the reuse.
/// </summary>
public class StoragePoolTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).SetRequiresGrad();

    [Fact]
    public void GradientsThroughFanOutViewsAndRepeatedInputsAreExact()
    {
        // f(x) = Σ (x + x) ⊙ reshape(x²) + Σ tanh(x): df/dx = 6x² + 1 − tanh²(x), with add returning one gradient for both inputs
        var x = Tensor.FromArray([0.5, -1.25, 2.0, 0.75, -0.5, 1.5], new Shape(2, 3)).SetRequiresGrad();
        var squares = (x * x).Reshape(3, 2).Reshape(2, 3);
        (((x + x) * squares).Sum() + x.Tanh().Sum()).Backward();
        var expected = x.ToDoubleArray().Select(v => 6 * v * v + 1 - Math.Tanh(v) * Math.Tanh(v)).ToArray();
        TensorAssert.Close(expected, x.Grad!);
    }

    [Fact]
    public void TheCallersOutputGradientAndForwardTensorsStayReadableAfterBackward()
    {
        var x = Leaf(1, 2, 3);
        var hidden = x.Tanh();
        var output = hidden * hidden;
        var outputGradient = Tensor.FromArray([1.0, 10.0, 100.0]);
        output.Backward(outputGradient);
        TensorAssert.Close([1, 10, 100], outputGradient);
        TensorAssert.Close(x.ToDoubleArray().Select(Math.Tanh).ToArray(), hidden);
        var expected = x.ToDoubleArray().Select((v, i) => new[] { 1.0, 10, 100 }[i] * 2 * Math.Tanh(v) * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray();
        TensorAssert.Close(expected, x.Grad!);
    }

    [Fact]
    public void ZeroGradReleasesTheGradientTheBackwardCreated()
    {
        var x = Leaf(1, 2);
        (x * 3.0).Sum().Backward();
        var gradient = x.Grad!;
        TensorAssert.Close([3, 3], gradient);
        x.ZeroGrad();
        Assert.Null(x.Grad);
        var error = Assert.Throws<ObjectDisposedException>(() => gradient.ToDoubleArray());
        Assert.Contains("ZeroGrad", error.Message);
        Assert.Contains("[2]", error.Message);
        (x * 4.0).Sum().Backward();
        TensorAssert.Close([4, 4], x.Grad!);
    }

    [Fact]
    public void ZeroGradOnlyDropsAGradientTheCallerAssigned()
    {
        var x = Leaf(1, 2);
        var assigned = Tensor.FromArray([7.0, 8.0]);
        x.Grad = assigned;
        x.ZeroGrad();
        Assert.Null(x.Grad);
        TensorAssert.Close([7, 8], assigned);
    }

    [Fact]
    public void AScopeReleasesItsTensorsAndKeepsWhatWasKeptOrCreatedBefore()
    {
        var before = Tensor.FromArray([1.0, 2.0, 3.0]);
        Tensor inside, kept, keptView;
        using (var scope = TensorScope.Begin())
        {
            inside = before * 2.0;
            kept = scope.Keep(before + 1.0);
            var owner = before * 5.0;
            keptView = scope.Keep(owner.Reshape(3, 1));
            Assert.True(scope.Count >= 4);
        }
        var error = Assert.Throws<ObjectDisposedException>(() => inside.ToDoubleArray());
        Assert.Contains("TensorScope", error.Message);
        Assert.Contains("Keep", error.Message);
        TensorAssert.Close([1, 2, 3], before);
        TensorAssert.Close([2, 3, 4], kept);
        // the view's owner was released but the kept view still holds the storage: new tensors of that size must not get it
        var others = Enumerable.Range(0, 8).Select(_ => Tensor.Full(new Shape(3), -9.0, DType.Float64)).ToList();
        TensorAssert.Close([5, 10, 15], keptView.Reshape(3));
        Assert.All(others, other => TensorAssert.Close([-9, -9, -9], other));
    }

    [Fact]
    public void StorageReusedAfterAScopeIsZeroedForNewZeroTensors()
    {
        for (int round = 0; round < 3; round++)
        {
            using var scope = TensorScope.Begin();
            var zeros = Tensor.Zeros(new Shape(5, 7), DType.Float64);
            Assert.All(zeros.ToDoubleArray(), value => Assert.Equal(0.0, value));
            _ = Tensor.Full(new Shape(5, 7), 3.0, DType.Float64) + 1.0; // fills arrays the next round rents
        }
    }

    [Fact]
    public void ScopedTrainingStepsGiveTheSameParametersAsUnscopedOnes()
    {
        var scoped = TrainThreeSteps(useScopes: true);
        var unscoped = TrainThreeSteps(useScopes: false);
        Assert.Equal(unscoped.Count, scoped.Count);
        for (int i = 0; i < scoped.Count; i++)
            Assert.Equal(unscoped[i], scoped[i]); // bitwise: reused storage leaves nothing behind
    }

    [Fact]
    public void GradientsAndOptimizerStateOutliveTheStepScope()
    {
        var weight = Tensor.FromArray([0.5, -0.25], new Shape(2)).SetRequiresGrad();
        var optimizer = new Adam([weight], 0.1);
        for (int step = 0; step < 2; step++)
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            (weight * weight).Sum().Backward();
            optimizer.Step();
        }
        // Adam's first step moves each weight by the learning rate against its gradient's sign; the second gradient is 2w there
        TensorAssert.Close([2 * (0.5 - 0.1), 2 * (-0.25 + 0.1)], weight.Grad!, tolerance: 1e-6);
        Assert.Equal(3, optimizer.StateDict().Count(entry => entry.Key.StartsWith("0.")));
    }

    private static List<double> TrainThreeSteps(bool useScopes)
    {
        var generator = new Generator(7);
        var embedding = new Embedding(11, 6, dtype: DType.Float64, generator: generator);
        var recurrent = new RecurrentLayer(RecurrentKind.Lstm, 6, 8, generator: generator, dtype: DType.Float64) { UseFusedKernels = true };
        var output = new Linear(8, 11, generator: generator, dtype: DType.Float64);
        var parameters = embedding.Parameters().Concat(recurrent.Parameters()).Concat(output.Parameters()).ToList();
        var optimizer = new Adam(parameters, 0.01);
        int steps = 5, batch = 3;
        for (int step = 0; step < 3; step++)
        {
            var ids = Enumerable.Range(0, steps * batch).Select(i => (i * 7 + step * 3) % 11).ToArray();
            var targets = ids.Select(id => (id + 1) % 11).ToArray();
            using var scope = useScopes ? TensorScope.Begin() : null;
            optimizer.ZeroGrad();
            var embedded = embedding.Forward(ids, new Shape(steps, batch)).Dropout(0.25, training: true, new Generator((ulong)step));
            var logits = output.Forward(recurrent.Forward(embedded).Output);
            Loss.CrossEntropy(logits.Reshape(steps * batch, 11), targets).Backward();
            GradientClipping.ClipGradNorm(parameters, 1.0);
            optimizer.Step();
        }
        return parameters.SelectMany(p => p.ToDoubleArray()).ToList();
    }
}
