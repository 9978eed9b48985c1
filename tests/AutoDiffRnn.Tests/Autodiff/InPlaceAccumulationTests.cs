using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Autodiff;

/// <summary>
/// In a first-order backward pass, linear adds its weight gradient into the sum the pass already holds for the weight (a GEMM with
/// accumulation) and narrow adds its gradient into the slice of the sum held for its input, instead of returning new tensors to be
/// added. The gradients must equal those of a recorded pass (<c>createGraph</c>), where every op returns its gradient, including where
/// the sum is a tensor the op reads (the incoming gradient given to two inputs by an add) or that another input also received.
/// </summary>
public class InPlaceAccumulationTests
{
    private static void AssertFirstOrderEqualsRecorded(Func<Tensor[], Tensor> loss, params Tensor[] leaves)
    {
        loss(leaves).Backward();
        var firstOrder = leaves.Select(leaf => leaf.Grad!.ToDoubleArray()).ToArray();
        foreach (var leaf in leaves) leaf.ZeroGrad();
        loss(leaves).Backward(createGraph: true);
        for (int i = 0; i < leaves.Length; i++)
        {
            var recorded = leaves[i].Grad!.ToDoubleArray();
            Assert.Equal(recorded.Length, firstOrder[i].Length);
            for (int j = 0; j < recorded.Length; j++)
                Assert.True(Math.Abs(recorded[j] - firstOrder[i][j]) <= 1e-12 * (1 + Math.Abs(recorded[j])),
                    $"leaf {i} {leaves[i].Shape}, element {j}: first-order {firstOrder[i][j]}, recorded {recorded[j]}");
            leaves[i].Grad = null;
        }
    }

    [Fact]
    public void AWeightSharedByManyLinearCallsGetsTheSumOfTheirGradients()
    {
        // an Elman recurrence: the same weights at every step, as the eager composed cell uses them
        var weightIh = Random64.Normal(1, 6, 4).SetRequiresGrad();
        var weightHh = Random64.Normal(2, 6, 6).SetRequiresGrad();
        var bias = Random64.Normal(3, 6).SetRequiresGrad();
        var inputs = Enumerable.Range(0, 5).Select(t => Random64.Normal(10 + (ulong)t, 3, 4)).ToArray();
        AssertFirstOrderEqualsRecorded(p =>
        {
            var hidden = Tensor.Zeros(new Shape(3, 6), DType.Float64);
            var total = Tensor.Scalar(0.0, DType.Float64);
            foreach (var x in inputs)
            {
                hidden = (Tensor.Linear(x, p[0], p[2]) + Tensor.Linear(hidden, p[1], null)).Tanh();
                total = total + (hidden * hidden).Sum();
            }
            return total;
        }, weightIh, weightHh, bias);
    }

    [Fact]
    public void ChunksOfOneTensorAddTheirGradientsIntoItsSlices()
    {
        var x = Random64.Normal(4, 3, 8).SetRequiresGrad();
        var weight = Random64.Normal(5, 8, 8).SetRequiresGrad();
        AssertFirstOrderEqualsRecorded(p =>
        {
            var gates = Tensor.Linear(p[0], p[1], null).Chunk(4, 1);
            var narrowAgain = p[0].Narrow(1, 2, 5);
            return (gates[0].Sigmoid() * gates[2].Tanh() + gates[1] * gates[3]).Sum() + (narrowAgain * narrowAgain).Sum() + gates[1].Sum();
        }, x, weight);
    }

    [Fact]
    public void ASumThatIsTheNodesOwnOutputGradientIsNotUpdatedInPlace()
    {
        // y = linear(x, W) + W with W square: the add hands one gradient g to both y's linear term and W, so when linear's backward runs,
        // the sum held for W is g itself, the gradient linear reads: it must return its weight gradient, not add it into g
        var x = Random64.Normal(6, 4, 4).SetRequiresGrad();
        var weight = Random64.Normal(7, 4, 4).SetRequiresGrad();
        AssertFirstOrderEqualsRecorded(p => ((Tensor.Linear(p[0], p[1], null) + p[1]) * p[0]).Sum(), x, weight);
        // and a narrow whose input already holds the gradient the narrow reads (x used whole and through a full-width chunk)
        var y = Random64.Normal(8, 4, 6).SetRequiresGrad();
        AssertFirstOrderEqualsRecorded(p => ((p[0] + p[0].Narrow(1, 0, 6)) * p[0]).Sum() + (p[0].Narrow(1, 1, 3) * 2.0).Sum(), y);
    }
}
