using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class LayoutOpsTests
{
    private static Tensor Counting(params int[] shape) => Tensor.Arange(new Shape(shape).ElementCount, DType.Float64).Reshape(shape);

    [Fact]
    public void TransposeAndPermuteMoveElements()
    {
        var x = Counting(2, 3);
        var t = x.Transpose(0, 1);
        Assert.Equal(new Shape(3, 2), t.Shape);
        TensorAssert.Close([0, 3, 1, 4, 2, 5], t);
        var y = Counting(2, 3, 4);
        var p = y.Permute(2, 0, 1);
        Assert.Equal(new Shape(4, 2, 3), p.Shape);
        Assert.Equal(y[1, 2, 3], p[3, 1, 2]);
        Assert.Equal(y[0, 1, 2], p[2, 0, 1]);
        TensorAssert.Close(y, p.Permute(1, 2, 0));
        Assert.Throws<ArgumentException>(() => y.Permute(0, 0, 1));
        Assert.Throws<ArgumentException>(() => y.Permute(0, 1));
    }

    [Fact]
    public void NarrowSelectSplitChunk()
    {
        var x = Counting(3, 4);
        TensorAssert.Close([1, 2, 5, 6, 9, 10], x.Narrow(1, 1, 2));
        TensorAssert.Close([4, 5, 6, 7], x.Select(0, 1));
        TensorAssert.Close([3, 7, 11], x.Select(1, -1));
        Assert.Equal(new Shape(3), x.Select(1, 0).Shape);
        var pieces = x.Split(new[] { 1, 3 }, 1);
        Assert.Equal(new Shape(3, 1), pieces[0].Shape);
        Assert.Equal(new Shape(3, 3), pieces[1].Shape);
        Assert.Equal(new[] { 2, 1 }, x.Split(2, 0).Select(p => p.Shape[0]).ToArray());
        Assert.Equal(new[] { 2, 2 }, x.Chunk(2, 1).Select(p => p.Shape[1]).ToArray());
        Assert.Equal(new[] { 2, 2 }, Counting(5, 4).Chunk(3, 0).Select(p => p.Shape[0]).Take(2).ToArray());
        Assert.Contains("narrow", Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 3, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(0, 3));
        Assert.Contains("split", Assert.Throws<ArgumentException>(() => x.Split(new[] { 1, 1 }, 1)).Message);
    }

    [Fact]
    public void IndexSelectGathersAndAccumulatesRepeatedIndices()
    {
        var weight = Counting(4, 2).SetRequiresGrad();
        var rows = weight.IndexSelect(0, [3, 0, 3]);
        TensorAssert.Close([6, 7, 0, 1, 6, 7], rows);
        rows.Sum().Backward();
        TensorAssert.Close([1, 1, 0, 0, 0, 0, 2, 2], weight.Grad!);
        TensorAssert.Close([1, 0, 3, 2, 5, 4, 7, 6], Counting(4, 2).IndexSelect(1, [1, 0]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => weight.IndexSelect(0, [1, 4]));
        Assert.Contains("index 4", error.Message);
        Assert.Contains("size 4", error.Message);
    }

    [Fact]
    public void ConcatAndStack()
    {
        var a = Counting(2, 2);
        var b = Counting(2, 1) + 10.0;
        TensorAssert.Close([0, 1, 10, 2, 3, 11], Tensor.Concat([a, b], 1));
        TensorAssert.Close([0, 1, 2, 3, 0, 1, 2, 3], Tensor.Concat([a, a], 0));
        var stacked = Tensor.Stack([a, a * 2.0, a * 3.0], 1);
        Assert.Equal(new Shape(2, 3, 2), stacked.Shape);
        Assert.Equal(6, stacked[1, 1, 1]);
        Assert.Equal(new Shape(2, 2, 2), Tensor.Stack([a, a], -1).Shape);
        var error = Assert.Throws<ArgumentException>(() => Tensor.Concat([a, Counting(3, 1)], 1));
        Assert.Contains("tensor 1", error.Message);
        Assert.Contains("[3,1]", error.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Stack([a, b], 0));
        Assert.Throws<ArgumentException>(() => Tensor.Concat([], 0));
        Assert.Throws<ArgumentException>(() => Tensor.Concat([a, a.To(DType.Float32)], 0));
    }

    [Fact]
    public void BackwardHelpersAreDifferentiableTwice()
    {
        // narrow_backward and index_add are the VJPs of narrow and index_select; they are linear ops with their own gradients
        GradientAssert.MatchesFiniteDifferences(x => x.Narrow(1, 1, 2).Sum(1).Pow(2), Random64.Normal(60, 2, 4));
        var v = Random64.Normal(61, 3, 2);
        var x = Random64.Normal(62, 3, 2).SetRequiresGrad();
        (x.IndexSelect(0, [2, 2, 0]).Pow(3)).Sum().Backward(createGraph: true);
        var gradient = x.Grad!;
        x.ZeroGrad();
        (gradient * v).Sum().Backward();
        // d²/dx² Σ over selections of x³ = 6 x · (times selected), applied to v
        var values = Random64.Normal(62, 3, 2).ToDoubleArray();
        var times = new[] { 1, 1, 0, 0, 2, 2 };
        TensorAssert.Close(values.Select((value, i) => 6 * value * times[i] * v.ToDoubleArray()[i]).ToArray(), x.Grad!, 1e-10);
    }
}
