using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn.Seq2Seq;

/// <summary>The attention modules: float64 gradients, masking, a hand-computed reference and shape errors.</summary>
public class AttentionTests
{
    private const int Batch = 2, QuerySteps = 3, SourceSteps = 4, Size = 3;

    // source 0 has all 4 steps, source 1 only 2: its steps 2 and 3 are padding
    private static Tensor Mask() => Tensor.FromArray(new double[] { 1, 1, 1, 1, 1, 1, 0, 0 }, new Shape(Batch, SourceSteps));

    public static TheoryData<string> Kinds => ["additive", "dot", "general"];

    private static Attention Create(string kind, ulong seed) => kind switch
    {
        "additive" => new AdditiveAttention(Size, Size, 5, DType.Float64, new Generator(seed)),
        "dot" => new DotProductAttention(Size),
        _ => new GeneralAttention(Size, Size, DType.Float64, new Generator(seed)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ContextAndWeightsHaveFloat64GradientsForQueriesMemoryAndParameters(string kind)
    {
        var attention = Create(kind, 1);
        var queries = Random64.Normal(2, Batch, QuerySteps, Size).SetRequiresGrad();
        var memory = Random64.Normal(3, Batch, SourceSteps, Size).SetRequiresGrad();
        var leaves = new List<(string, Tensor)> { ("queries", queries), ("memory", memory) };
        leaves.AddRange(attention.NamedParameters());
        LeafGradientAssert.MatchesFiniteDifferences(() =>
        {
            var result = attention.Forward(queries, memory, Mask());
            return Tensor.Concat([result.Context.Reshape(-1), result.Weights.Reshape(-1)], 0);
        }, leaves);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PaddingGetsExactlyZeroWeightAndItsValuesChangeNothing(string kind)
    {
        var attention = Create(kind, 4);
        var queries = Random64.Normal(5, Batch, QuerySteps, Size);
        var memory = Random64.Normal(6, Batch, SourceSteps, Size);
        var result = attention.Forward(queries, memory, Mask());
        for (int t = 0; t < QuerySteps; t++)
        {
            Assert.Equal(0.0, result.Weights[1, t, 2]);
            Assert.Equal(0.0, result.Weights[1, t, 3]);
            for (int b = 0; b < Batch; b++)
                Assert.Equal(1.0, Enumerable.Range(0, SourceSteps).Sum(s => result.Weights[b, t, s]), 12);
            Assert.True(result.Weights[1, t, 0] > 0 && result.Weights[1, t, 1] > 0);
        }
        var changed = memory.ToDoubleArray();
        for (int s = 2; s < SourceSteps; s++)
            for (int j = 0; j < Size; j++) changed[(1 * SourceSteps + s) * Size + j] = 1e3 * (j + 1);
        var again = attention.Forward(queries, Tensor.FromArray(changed, memory.Shape), Mask());
        TensorAssert.Close(result.Context, again.Context, 0);
        TensorAssert.Close(result.Weights, again.Weights, 0);
    }

    [Fact]
    public void DotAttentionIsTheSoftmaxOfDotProductsOverRealSteps()
    {
        var queries = Random64.Normal(7, Batch, QuerySteps, Size);
        var memory = Random64.Normal(8, Batch, SourceSteps, Size);
        var result = new DotProductAttention(Size).Forward(queries, memory, Mask());
        int[] lengths = [4, 2];
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < QuerySteps; t++)
            {
                var scores = Enumerable.Range(0, lengths[b]).Select(s => Enumerable.Range(0, Size).Sum(j => queries[b, t, j] * memory[b, s, j])).ToArray();
                double max = scores.Max(), total = scores.Sum(v => Math.Exp(v - max));
                var weights = scores.Select(v => Math.Exp(v - max) / total).ToArray();
                for (int s = 0; s < lengths[b]; s++) Assert.Equal(weights[s], result.Weights[b, t, s], 12);
                for (int j = 0; j < Size; j++)
                    Assert.Equal(Enumerable.Range(0, lengths[b]).Sum(s => weights[s] * memory[b, s, j]), result.Context[b, t, j], 12);
            }
    }

    [Fact]
    public void AdditiveAttentionHasBahdanausParametersUnderTheirNames()
    {
        var attention = new AdditiveAttention(4, 6, 5);
        Assert.Equal(["query.weight", "key.weight", "key.bias", "energy.weight"], attention.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(5, 4), attention.StateDict()["query.weight"].Shape);
        Assert.Equal(new Shape(1, 5), attention.StateDict()["energy.weight"].Shape);
        Assert.Empty(new DotProductAttention(4).NamedParameters());
    }

    [Fact]
    public void BadShapesNameTheModuleAndTheShapes()
    {
        var attention = new GeneralAttention(4, 6);
        var memory = Tensor.Zeros(new Shape(2, 5, 6));
        var error = Assert.Throws<ArgumentException>(() => attention.Forward(Tensor.Zeros(new Shape(2, 1, 3)), memory, Tensor.Ones(new Shape(2, 5))));
        Assert.Contains("GeneralAttention", error.Message);
        Assert.Contains("[2,1,3]", error.Message.Replace(" ", ""));
        var maskError = Assert.Throws<ArgumentException>(() => attention.Prepare(memory, Tensor.Ones(new Shape(2, 4))));
        Assert.Contains("mask", maskError.Message);
    }
}
