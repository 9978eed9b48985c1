namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// Every public op on tensors with a zero-size dimension, forward and backward, in both types: it returns the empty result PyTorch
/// returns, and never reaches a span kernel with an empty span (TensorPrimitives refuses some) or divides by a zero size.
/// </summary>
public class EmptyTensorSweepTests
{
    public static TheoryData<string, int[], DType> Cases()
    {
        var data = new TheoryData<string, int[], DType>();
        foreach (var op in Ops.Keys)
            foreach (var shape in new[] { new[] { 0 }, new[] { 2, 0 }, new[] { 0, 3 } })
                foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                    data.Add(op, shape, dtype);
        return data;
    }

    private static readonly Dictionary<string, Func<Tensor, Tensor>> Ops = new()
    {
        ["exp"] = x => x.Exp(), ["log"] = x => x.Log(), ["sqrt"] = x => x.Sqrt(), ["abs"] = x => x.Abs(), ["relu"] = x => x.Relu(),
        ["leaky_relu"] = x => x.LeakyRelu(), ["sigmoid"] = x => x.Sigmoid(), ["tanh"] = x => x.Tanh(), ["softplus"] = x => x.Softplus(),
        ["neg"] = x => -x, ["pow"] = x => x.Pow(3), ["clamp"] = x => x.Clamp(-1, 1), ["dropout"] = x => x.Dropout(0.5, true, new Generator(1)),
        ["softmax"] = x => x.Softmax(-1), ["log_softmax"] = x => x.LogSoftmax(-1), ["logsumexp"] = x => x.LogSumExp(0),
        ["add"] = x => x + x, ["sub"] = x => x - 1.0, ["mul"] = x => x * x, ["div"] = x => x / (x + 2.0),
        ["where"] = x => Tensor.Where(x.Greater(0), x, -x), ["to"] = x => x.To(x.DType == DType.Float32 ? DType.Float64 : DType.Float32),
        ["transpose"] = x => x.Rank == 2 ? x.Transpose(0, 1) : x, ["permute"] = x => x.Permute(Enumerable.Range(0, x.Rank).Reverse().ToArray()),
        ["reshape"] = x => x.Reshape(-1), ["expand"] = x => x.Reshape([1, .. x.Shape]).Expand(new Shape([2, .. x.Shape])),
        ["sum"] = x => x.Sum(0), ["sum_all"] = x => x.Sum(), ["mean"] = x => x.Mean(0).Clamp(0, 0), ["narrow"] = x => x.Narrow(-1, 0, 0),
        ["concat"] = x => Tensor.Concat([x, x], 0), ["stack"] = x => Tensor.Stack([x, x], 0), ["index_select"] = x => x.IndexSelect(0, []),
        ["split"] = x => x.Split(1, 0).Length > 0 ? Tensor.Concat(x.Split(1, 0), 0) : x, ["matmul"] = x => x.Rank == 2 ? x.MatMul(x.Transpose(0, 1)) : x,
        ["clone"] = x => x.Clone(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpsOnEmptyTensorsGiveEmptyResultsAndGradients(string op, int[] shape, DType dtype)
    {
        var x = Tensor.Zeros(new Shape(shape), dtype).SetRequiresGrad();
        var y = Ops[op](x);
        double total = y.Sum().To(DType.Float64).ToScalar();
        Assert.True(total == 0 || y.ElementCount > 0, $"{op}: an empty input summed to {total}");
        if (!y.RequiresGrad) return;
        y.Sum().Backward();
        Assert.Equal(x.Shape, x.Grad!.Shape);
    }

    [Fact]
    public void CreationRefusesCountsThatDoNotFitAndNamesTheOp()
    {
        Assert.StartsWith("arange:", Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1e10)).Message);
        Assert.Equal(0, Tensor.Arange(3, 3).ElementCount);
        Assert.StartsWith("FromArray:", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[3], new Shape(2, 2))).Message);
        Assert.Empty(Tensor.FromArray(new double[0, 4]).ToDoubleArray());
    }
}
