using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>A batch of zero sequences gives empty outputs of PyTorch's shapes on every path, and gradients that are zero, not errors.</summary>
public class ZeroBatchTests
{
    private const int Input = 3, Hidden = 4, Steps = 5;

    public static TheoryData<RecurrentKind, int, bool, bool, bool> Layers()
    {
        var data = new TheoryData<RecurrentKind, int, bool, bool, bool>();
        foreach (var kind in Enum.GetValues<RecurrentKind>())
            foreach (bool fused in new[] { false, true })
            {
                data.Add(kind, 1, false, false, fused);
                data.Add(kind, 2, true, true, fused);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void RecurrentLayersReturnEmptyOutputsOfTheRightShapes(RecurrentKind kind, int layers, bool bidirectional, bool batchFirst, bool fused)
    {
        var layer = new RecurrentLayer(kind, Input, Hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: new Generator(1))
        {
            UseFusedKernels = fused,
        };
        int directions = bidirectional ? 2 : 1;
        var input = Tensor.Zeros(batchFirst ? new Shape(0, Steps, Input) : new Shape(Steps, 0, Input)).SetRequiresGrad();
        var result = layer.Forward(input);
        Assert.Equal(batchFirst ? new Shape(0, Steps, directions * Hidden) : new Shape(Steps, 0, directions * Hidden), result.Output.Shape);
        Assert.Equal(new Shape(layers * directions, 0, Hidden), result.Hidden.Shape);
        if (kind == RecurrentKind.Lstm) Assert.Equal(new Shape(layers * directions, 0, Hidden), result.Cell!.Shape);
        else Assert.Null(result.Cell);

        var loss = result.Output.Sum() + result.Hidden.Sum();
        Assert.Equal(0.0, loss.ToScalar());
        loss.Backward();
        Assert.Equal(input.Shape, input.Grad!.Shape);
        foreach (var parameter in layer.Parameters())
            Assert.All(parameter.Grad?.ToDoubleArray() ?? [], value => Assert.Equal(0.0, value));
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm, true)]
    [InlineData(RecurrentKind.Gru, true)]
    [InlineData(RecurrentKind.RnnTanh, false)]
    [InlineData(RecurrentKind.Lstm, false)]
    public void ZeroBatchWithInitialStatesAndLengthsWorks(RecurrentKind kind, bool fused)
    {
        var layer = new RecurrentLayer(kind, Input, Hidden, generator: new Generator(2)) { UseFusedKernels = fused };
        var state = Tensor.Zeros(new Shape(1, 0, Hidden));
        var result = layer.Forward(Tensor.Zeros(new Shape(Steps, 0, Input)), state, kind == RecurrentKind.Lstm ? state : null, lengths: []);
        Assert.Equal(new Shape(Steps, 0, Hidden), result.Output.Shape);
        Assert.Equal(new Shape(0, Hidden), result.LastOutput(1).Shape);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm, true)]
    [InlineData(RecurrentKind.Gru, false)]
    [InlineData(RecurrentKind.RnnRelu, false)]
    public void ZeroStepsIsRefusedNamingTheLayerAndShape(RecurrentKind kind, bool fused)
    {
        // PyTorch: "Expected sequence length to be larger than 0 in RNN".
        var layer = new RecurrentLayer(kind, Input, Hidden, generator: new Generator(3)) { UseFusedKernels = fused };
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(new Shape(0, 2, Input))));
        Assert.Contains("[0,2,3]", error.Message);
        Assert.Contains("sequence length", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FusedSequenceOpsAcceptAnEmptyBatch(bool lstm)
    {
        var rnn = Tensor.RnnSequence(Tensor.Zeros(new Shape(Steps, 0, Input)), Tensor.Zeros(new Shape(0, Hidden)),
            Tensor.Zeros(new Shape(Hidden, Input)), Tensor.Zeros(new Shape(Hidden, Hidden)), null, null, relu: lstm);
        Assert.Equal(new Shape(Steps, 0, 2 * Hidden), rnn.Shape);
        var weights = (ih: Tensor.Zeros(new Shape((lstm ? 4 : 3) * Hidden, Input)), hh: Tensor.Zeros(new Shape((lstm ? 4 : 3) * Hidden, Hidden)));
        var state = Tensor.Zeros(new Shape(0, Hidden));
        var input = Tensor.Zeros(new Shape(Steps, 0, Input));
        var output = lstm
            ? Tensor.LstmSequence(input, state, state, weights.ih, weights.hh, null, null)
            : Tensor.GruSequence(input, state, weights.ih, weights.hh, null, null);
        Assert.Equal(new Shape(Steps, 0, (lstm ? 3 : 2) * Hidden), output.Shape);
    }

    [Fact]
    public void CellsLinearAndEmbeddingReturnEmptyBatches()
    {
        var lstmCell = new LstmCell(Input, Hidden, generator: new Generator(4));
        var (h, c) = lstmCell.Forward(Tensor.Zeros(new Shape(0, Input)), (Tensor.Zeros(new Shape(0, Hidden)), Tensor.Zeros(new Shape(0, Hidden))));
        Assert.Equal(new Shape(0, Hidden), h.Shape);
        Assert.Equal(new Shape(0, Hidden), c.Shape);
        var gruCell = new GruCell(Input, Hidden, generator: new Generator(5));
        Assert.Equal(new Shape(0, Hidden), gruCell.Forward(Tensor.Zeros(new Shape(0, Input)), Tensor.Zeros(new Shape(0, Hidden))).Shape);

        var linear = new Linear(Input, 2, generator: new Generator(6));
        var x = Tensor.Zeros(new Shape(0, Input)).SetRequiresGrad();
        var y = linear.Forward(x);
        Assert.Equal(new Shape(0, 2), y.Shape);
        y.Sum().Backward();
        Assert.All(linear.Weight.Grad!.ToDoubleArray(), value => Assert.Equal(0.0, value));
        Assert.Equal(new Shape(4, 0, 2), linear.Forward(Tensor.Zeros(new Shape(4, 0, Input))).Shape);

        var embedding = new Embedding(7, 3, generator: new Generator(7));
        Assert.Equal(new Shape(0, 3), embedding.Forward([]).Shape);
        Assert.Equal(new Shape(0, 5, 3), embedding.Forward([], new Shape(0, 5)).Shape);
    }

    [Fact]
    public void ConvolutionsOfAnEmptyBatchReturnEmptyOutputs()
    {
        var input1d = Tensor.Zeros(new Shape(0, 2, 5)).SetRequiresGrad();
        var weight1d = Tensor.Zeros(new Shape(3, 2, 2)).SetRequiresGrad();
        var output1d = Tensor.Conv1d(input1d, weight1d);
        Assert.Equal(new Shape(0, 3, 4), output1d.Shape);
        output1d.Sum().Backward();
        Assert.All(weight1d.Grad!.ToDoubleArray(), value => Assert.Equal(0.0, value));
        var output2d = Tensor.Conv2d(Tensor.Zeros(new Shape(0, 2, 5, 5)), Tensor.Zeros(new Shape(3, 2, 2, 2)));
        Assert.Equal(new Shape(0, 3, 4, 4), output2d.Shape);
    }

    [Fact]
    public void LossesOverAnEmptyBatchFollowPyTorch()
    {
        // PyTorch: a mean over no elements is NaN, a sum is 0.
        var logits = Tensor.Zeros(new Shape(0, 4)).SetRequiresGrad();
        Assert.True(double.IsNaN(Loss.CrossEntropy(logits, []).ToScalar()));
        Assert.Equal(0.0, Loss.CrossEntropy(logits, [], reduction: Reduction.Sum).ToScalar());
        var empty = Tensor.Zeros(new Shape(0, 2));
        Assert.True(double.IsNaN(Loss.MeanSquaredError(empty, empty).ToScalar()));
        Assert.Equal(0.0, Loss.MeanSquaredError(empty, empty, Reduction.Sum).ToScalar());
        Assert.True(double.IsNaN(Loss.BinaryCrossEntropyWithLogits(empty, empty).ToScalar()));
        Assert.Equal(0.0, Loss.BinaryCrossEntropyWithLogits(empty, empty, Reduction.Sum).ToScalar());
        var sum = Loss.CrossEntropy(logits, [], reduction: Reduction.Sum);
        sum.Backward();
        Assert.Equal(logits.Shape, logits.Grad!.Shape);
    }

    [Fact]
    public void ReductionsAndSoftmaxOfEmptyTensorsFollowPyTorch()
    {
        var empty = Tensor.Zeros(new Shape(0, 3));
        Assert.Equal(0.0, empty.Sum().ToScalar());
        Assert.True(double.IsNaN(empty.Mean().ToScalar()));
        Assert.Equal(new Shape(3), empty.Sum(0).Shape);
        Assert.Equal(new Shape(0), empty.Sum(1).Shape);
        Assert.Equal(new Shape(0, 3), empty.Softmax(-1).Shape);
        Assert.Equal(new Shape(0, 3), empty.LogSoftmax(-1).Shape);
        Assert.Equal(new Shape(0, 5), Tensor.MatMul(empty, Tensor.Zeros(new Shape(3, 5))).Shape);
        Assert.Equal(new Shape(2, 5), Tensor.MatMul(Tensor.Zeros(new Shape(2, 0)), Tensor.Zeros(new Shape(0, 5))).Shape);
    }
}
