using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// Ops that rent their output storage without clearing it (every element is written by their kernel) leave nothing of the array's
/// previous contents: before each op the pool is handed arrays of the op's output length filled with NaN, and the op's result (and
/// the gradients of its inputs) from finite inputs must be finite. An op that skipped an element would show a NaN. Shapes are odd
/// (5×7 and the like) so that the vectorized kernels' scalar tails are exercised too.
/// </summary>
[Collection(AllocationCollection.Name)] // hands arrays to the shared pool: alone, so another test cannot take them first
public sealed class UninitializedStorageTests
{
    private static readonly Tensor A = Random64.Normal(1, 5, 7).SetRequiresGrad();
    private static readonly Tensor B = Random64.Normal(2, 5, 7).SetRequiresGrad();
    private static readonly Tensor Row = Random64.Normal(3, 7).SetRequiresGrad();
    private static readonly Tensor Column = Random64.Normal(4, 5, 1).SetRequiresGrad();
    private static readonly Tensor Positive = Random64.Uniform(5, 0.5, 2.0, 5, 7).SetRequiresGrad();
    private static readonly Tensor Weight = Random64.Normal(6, 3, 7).SetRequiresGrad();
    private static readonly Tensor Bias = Random64.Normal(7, 3).SetRequiresGrad();
    private static readonly Tensor Batch = Random64.Normal(8, 2, 5, 7).SetRequiresGrad();

    public static TheoryData<string> Cases => new(OpCases.Keys);

    private static readonly Dictionary<string, Func<Tensor>> OpCases = new()
    {
        ["exp"] = () => A.Exp(),
        ["tanh"] = () => A.Tanh(),
        ["sigmoid"] = () => A.Sigmoid(),
        ["relu"] = () => A.Relu(),
        ["neg"] = () => -A,
        ["abs"] = () => A.Abs(),
        ["sqrt"] = () => Positive.Sqrt(),
        ["log"] = () => Positive.Log(),
        ["add"] = () => A + B,
        ["add row"] = () => A + Row,
        ["mul column"] = () => A * Column,
        ["sub scalar"] = () => 1.0 - A,
        ["div"] = () => A / Positive,
        ["outer sum"] = () => Column + Row,
        ["greater"] = () => A.Greater(B) + A,
        ["less scalar"] = () => A.Less(0.25) * A,
        ["equal"] = () => A.Equal(A) * B,
        ["narrow"] = () => A.Narrow(1, 2, 3),
        ["chunk"] = () => A.Chunk(3, 1)[1] * 2.0,
        ["select"] = () => Batch.Select(0, 1),
        ["concat"] = () => Tensor.Concat([A, B], 1),
        ["stack"] = () => Tensor.Stack([A, B, A], 0),
        ["linear"] = () => Tensor.Linear(A, Weight, Bias),
        ["linear without bias"] = () => Tensor.Linear(A, Weight, null),
        ["matmul"] = () => Tensor.MatMul(A, Weight, transposeB: true),
        ["batched matmul"] = () => Tensor.MatMul(Batch, Weight, transposeB: true),
        ["expand"] = () => Row.Expand(new Shape(5, 7)) * A,
        ["clamp"] = () => A.Clamp(-0.5, 0.5),
        ["pow"] = () => Positive.Pow(1.5),
        ["leaky_relu"] = () => A.LeakyRelu(0.1),
        ["permute"] = () => Batch.Permute(2, 0, 1),
        ["softplus"] = () => (A * 30.0).Softplus(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void UnclearedOutputsAndGradientsAreFullyWritten(string name)
    {
        Tensor[] leaves = [A, B, Row, Column, Positive, Weight, Bias, Batch];
        foreach (var leaf in leaves) leaf.ZeroGrad();
        PoisonPool();
        var output = OpCases[name]();
        AssertFinite(output, $"{name}: output");
        PoisonPool();
        (output * output).Sum().Backward();
        foreach (var leaf in leaves)
            if (leaf.Grad is { } gradient) AssertFinite(gradient, $"{name}: gradient of the {leaf.Shape} input");
        Assert.Contains(leaves, leaf => leaf.Grad is not null);
    }

    /// <summary>NaN-filled arrays, several of every length the cases rent, handed to the pool for the next rents.</summary>
    private static void PoisonPool()
    {
        foreach (int length in new[] { 1, 3, 5, 7, 15, 21, 30, 35, 70, 105 })
            for (int copy = 0; copy < 8; copy++)
            {
                var poisoned = new double[length];
                Array.Fill(poisoned, double.NaN);
                TensorStoragePool.Return(poisoned);
            }
    }

    private static void AssertFinite(Tensor tensor, string what)
    {
        var values = tensor.ToDoubleArray();
        int firstNaN = Array.FindIndex(values, double.IsNaN);
        Assert.True(firstNaN < 0, $"{what} {tensor.Shape} has NaN at flat index {firstNaN}: an element its kernel did not write");
    }
}
