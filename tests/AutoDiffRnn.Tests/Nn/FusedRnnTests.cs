using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>
/// The fused tanh and relu RNN (<c>rnn_sequence</c>, the recurrence driver with <see cref="RnnCellMath{TActivation}"/>) against the
/// composed path (the reference), finite differences and the forward split by hidden units, as the fused LSTM and GRU are tested.
/// </summary>
public class FusedRnnTests
{
    public static TheoryData<bool, int, bool, bool, bool, bool> Configurations => new()
    {
        // relu, layers, bidirectional, bias, initial state, variable lengths
        { false, 1, false, true, false, false },
        { false, 1, true, true, true, true },
        { false, 2, true, false, true, false },
        { true, 3, false, true, false, true },
        { true, 2, true, true, true, true },
        { true, 1, false, false, true, false },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FusedAndComposedRnnGiveTheSameOutputsAndGradients(bool relu, int layers, bool bidirectional, bool bias, bool initialState,
        bool variableLengths)
    {
        int steps = 5, batch = 3, input = 4, hidden = 3, directions = bidirectional ? 2 : 1;
        int[]? lengths = variableLengths ? [5, 2, 1] : null;
        (Tensor[] Values, Tensor[] Gradients) Run(bool fused)
        {
            var layer = new Rnn(input, hidden, layers, relu, bias, bidirectional: bidirectional, dtype: DType.Float64, generator: new Generator(81))
            {
                UseFusedKernels = fused,
            };
            var x = Random64.Normal(82, steps, batch, input).SetRequiresGrad();
            var h0 = Random64.Normal(83, layers * directions, batch, hidden).SetRequiresGrad();
            var result = initialState ? layer.Forward(x, h0, null, lengths) : layer.Forward(x, lengths: lengths);
            Assert.Null(result.Cell);
            ((result.Output * Random64.Normal(85, result.Output.Shape.ToArray())).Sum()
             + (result.Hidden * Random64.Normal(86, result.Hidden.Shape.ToArray())).Sum()).Backward();
            var gradients = layer.Parameters().Select(p => p.Grad!).Append(x.Grad!);
            if (initialState) gradients = gradients.Append(h0.Grad!);
            return ([result.Output, result.Hidden], gradients.ToArray());
        }
        var composed = Run(fused: false);
        var fast = Run(fused: true);
        for (int i = 0; i < composed.Values.Length; i++) TensorAssert.Close(composed.Values[i], fast.Values[i], 1e-12);
        Assert.Equal(composed.Gradients.Length, fast.Gradients.Length);
        for (int i = 0; i < composed.Gradients.Length; i++) TensorAssert.Close(composed.Gradients[i], fast.Gradients[i], 1e-12);
    }

    /// <summary>Hidden sizes of whole vectors plus a tail, and long sequences (the steps cut into chunks beside the recurrence).</summary>
    [Theory]
    [InlineData(RecurrentKind.RnnTanh, 19, 19, 3, true)]
    [InlineData(RecurrentKind.RnnRelu, 19, 16, 1, false)]
    [InlineData(RecurrentKind.RnnTanh, 70, 9, 2, true)]
    [InlineData(RecurrentKind.RnnRelu, 70, 9, 1, false)]
    public void FusedAndComposedAgreeAtVectorWidthsAndOnLongSequences(RecurrentKind kind, int steps, int hidden, int batch, bool variableLengths)
    {
        int input = 5;
        int[]? lengths = variableLengths ? Enumerable.Range(0, batch).Select(b => steps - (7 * b) % steps).ToArray() : null;
        (Tensor[] Values, Tensor[] Gradients) Run(bool fused)
        {
            var layer = new RecurrentLayer(kind, input, hidden, 1, bidirectional: true, dtype: DType.Float64, generator: new Generator(91))
            {
                UseFusedKernels = fused,
            };
            var x = Random64.Normal(92, steps, batch, input).SetRequiresGrad();
            var h0 = Random64.Normal(93, 2, batch, hidden).SetRequiresGrad();
            var result = layer.Forward(x, h0, null, lengths);
            ((result.Output * Random64.Normal(95, result.Output.Shape.ToArray())).Sum()
             + (result.Hidden * Random64.Normal(96, result.Hidden.Shape.ToArray())).Sum()).Backward();
            return ([result.Output, result.Hidden], layer.Parameters().Select(p => p.Grad!).Append(x.Grad!).Append(h0.Grad!).ToArray());
        }
        var composed = Run(fused: false);
        var fast = Run(fused: true);
        for (int i = 0; i < composed.Values.Length; i++) TensorAssert.Close(composed.Values[i], fast.Values[i], 1e-12);
        for (int i = 0; i < composed.Gradients.Length; i++) TensorAssert.Close(composed.Gradients[i], fast.Gradients[i], 1e-12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusedRnnGradientsMatchFiniteDifferences(bool relu)
    {
        var x = Random64.Normal(100, 4, 2, 3).SetRequiresGrad();
        var h0 = Random64.Normal(101, 2, 3).SetRequiresGrad();
        var wih = Random64.Normal(102, 3, 3).SetRequiresGrad();
        var whh = Random64.Normal(103, 3, 3).SetRequiresGrad();
        var bih = Random64.Normal(104, 3).SetRequiresGrad();
        var bhh = Random64.Normal(105, 3).SetRequiresGrad();
        foreach (var reverse in new[] { false, true })
            LeafGradientAssert.MatchesFiniteDifferences(() => Tensor.RnnSequence(x, h0, wih, whh, bih, bhh, relu, reverse, [4, 2]),
                [("x", x), ("h0", h0), ("weight_ih", wih), ("weight_hh", whh), ("bias_ih", bih), ("bias_hh", bhh)]);
    }

    /// <summary>The forward split by hidden units (1 to 3 blocks, ragged) gives the recording path's rows, for the RNN and the GRU.</summary>
    [Theory]
    [InlineData(RecurrentKind.RnnTanh, 3, 19, 2, false, true)]
    [InlineData(RecurrentKind.RnnRelu, 4, 40, 3, true, true)]
    [InlineData(RecurrentKind.Gru, 2, 33, 2, true, false)]
    [InlineData(RecurrentKind.Gru, 5, 40, 3, false, true)]
    public void UnitBlockInferenceMatchesTheRecordingPath(RecurrentKind kind, int batch, int hidden, int blocks, bool reverse, bool bias)
    {
        int steps = 7, input = 5, gates = kind == RecurrentKind.Gru ? 3 : 1;
        int[] lengths = Enumerable.Range(0, batch).Select(b => steps - (2 * b) % steps).ToArray();
        var x = Random64.Normal(111, steps, batch, input).SetRequiresGrad();
        var h0 = Random64.Normal(112, batch, hidden);
        var weightIh = Random64.Normal(114, gates * hidden, input) * Tensor.Scalar(0.3, DType.Float64);
        var weightHh = Random64.Normal(115, gates * hidden, hidden) * Tensor.Scalar(0.3, DType.Float64);
        var biasIh = bias ? Random64.Normal(116, gates * hidden) : null;
        var biasHh = bias ? Random64.Normal(117, gates * hidden) : null;
        var inputs = new RecurrenceInputs(x, h0, null, weightIh, weightHh, biasIh, biasHh, reverse, lengths);
        var output = Tensor.Empty(new Shape(steps, batch, 2 * hidden), DType.Float64);
        var target = InferenceTarget.SequenceRows(output, hidden, cellState: false);
        Tensor recorded; // saves its steps: the step loop
        switch (kind)
        {
            case RecurrentKind.Gru:
                recorded = Tensor.GruSequence(x, h0, weightIh, weightHh, biasIh, biasHh, reverse, lengths);
                UnitBlockInference<double, GruCellMath>.Run(inputs, target, blocks);
                break;
            case RecurrentKind.RnnRelu:
                recorded = Tensor.RnnSequence(x, h0, weightIh, weightHh, biasIh, biasHh, relu: true, reverse, lengths);
                UnitBlockInference<double, RnnCellMath<ReluActivation>>.Run(inputs, target, blocks);
                break;
            default:
                recorded = Tensor.RnnSequence(x, h0, weightIh, weightHh, biasIh, biasHh, relu: false, reverse, lengths);
                UnitBlockInference<double, RnnCellMath<TanhActivation>>.Run(inputs, target, blocks);
                break;
        }
        TensorAssert.Close(recorded, output, 1e-12);
    }

    /// <summary>Through the layer with nothing recorded, above the size from which the units are split, the fused RNN equals the composed one.</summary>
    [Theory]
    [InlineData(RecurrentKind.RnnTanh)]
    [InlineData(RecurrentKind.RnnRelu)]
    public void NoGradLayerMatchesTheComposedPath(RecurrentKind kind)
    {
        int steps = 6, input = 5, layers = 2, hidden = 192, batch = 32;
        int[] lengths = Enumerable.Range(0, batch).Select(b => steps - b % steps).ToArray();
        var x = Random64.Normal(121, batch, steps, input);
        var h0 = Random64.Normal(122, 2 * layers, batch, hidden);
        RecurrentOutput Run(bool fused)
        {
            var layer = new RecurrentLayer(kind, input, hidden, layers, batchFirst: true, bidirectional: true, dtype: DType.Float64,
                generator: new Generator(124)) { UseFusedKernels = fused };
            using var _ = GradMode.NoGrad();
            return layer.Forward(x, h0, null, lengths);
        }
        var composed = Run(fused: false);
        var fused = Run(fused: true);
        TensorAssert.Close(composed.Output, fused.Output, 1e-12);
        TensorAssert.Close(composed.Hidden, fused.Hidden, 1e-12);
        Assert.True(RecurrenceSplit.InferenceBlocks<double>(batch, hidden, gates: 1) > 1 || AutoDiffRnn.Kernels.Gemm.MaxParallelism == 1);
    }

    [Fact]
    public void BadShapesNameTheOpAndTheShapes()
    {
        var x = Random64.Normal(131, 6, 2, 3);
        var error = Assert.Throws<ArgumentException>(() => Tensor.RnnSequence(x, Tensor.Zeros(new Shape(2, 4), DType.Float64),
            Random64.Normal(1, 4, 5), Random64.Normal(2, 4, 4), null, null));
        Assert.Contains("rnn_sequence", error.Message);
        Assert.Contains("[4,5]", error.Message);
    }
}
