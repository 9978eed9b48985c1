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
        bool variableLengths) =>
        FusedAgreement.AssertFusedMatchesComposed(
            () => new Rnn(4, 3, layers, relu, bias, bidirectional: bidirectional, dtype: DType.Float64, generator: new Generator(81)),
            seed: 82, steps: 5, batch: 3, initialState, variableLengths ? [5, 2, 1] : null);

    /// <summary>Hidden sizes of whole vectors plus a tail, and long sequences (the steps cut into chunks beside the recurrence).</summary>
    [Theory]
    [InlineData(RecurrentKind.RnnTanh, 19, 19, 3, true)]
    [InlineData(RecurrentKind.RnnRelu, 19, 16, 1, false)]
    [InlineData(RecurrentKind.RnnTanh, 70, 9, 2, true)]
    [InlineData(RecurrentKind.RnnRelu, 70, 9, 1, false)]
    public void FusedAndComposedAgreeAtVectorWidthsAndOnLongSequences(RecurrentKind kind, int steps, int hidden, int batch, bool variableLengths) =>
        FusedAgreement.AssertFusedMatchesComposed(
            () => new RecurrentLayer(kind, 5, hidden, 1, bidirectional: true, dtype: DType.Float64, generator: new Generator(91)),
            seed: 92, steps, batch, initialState: true,
            variableLengths ? Enumerable.Range(0, batch).Select(b => steps - (7 * b) % steps).ToArray() : null);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusedRnnGradientsMatchFiniteDifferences(bool relu) =>
        FusedAgreement.SequenceGradientsMatchFiniteDifferences(100, gates: 1, hidden: 3, cellState: false, (l, reverse) =>
            Tensor.RnnSequence(l.X, l.H0, l.WeightIh, l.WeightHh, l.BiasIh, l.BiasHh, relu, reverse, [4, 2]));

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
