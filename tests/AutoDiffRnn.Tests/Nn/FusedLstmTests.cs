using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>The fused LSTM kernel against the composed path (the reference) and against finite differences.</summary>
public class FusedLstmTests
{
    public static TheoryData<int, bool, bool, bool, bool> Configurations => new()
    {
        // layers, bidirectional, bias, initial state, variable lengths
        { 1, false, true, false, false },
        { 1, true, true, true, true },
        { 2, true, false, true, false },
        { 3, false, true, false, true },
        { 2, false, true, true, true },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FusedAndComposedPathsGiveTheSameOutputsAndGradients(int layers, bool bidirectional, bool bias, bool initialState, bool variableLengths) =>
        FusedAgreement.AssertFusedMatchesComposed(
            () => new Lstm(4, 3, layers, bias, bidirectional: bidirectional, dtype: DType.Float64, generator: new Generator(11)),
            seed: 12, steps: 5, batch: 3, initialState, variableLengths ? [5, 2, 1] : null);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FusedAndComposedGruGiveTheSameOutputsAndGradients(int layers, bool bidirectional, bool bias, bool initialState, bool variableLengths) =>
        FusedAgreement.AssertFusedMatchesComposed(
            () => new Gru(4, 3, layers, bias, bidirectional: bidirectional, dtype: DType.Float64, generator: new Generator(31)),
            seed: 32, steps: 5, batch: 3, initialState, variableLengths ? [5, 2, 1] : null);

    /// <summary>Hidden sizes of whole vectors plus a tail, so the vector loops of the step kernels run (the cases above use H = 3).</summary>
    [Theory]
    [InlineData(RecurrentKind.Lstm, 19, 3, true)]
    [InlineData(RecurrentKind.Lstm, 16, 1, false)]
    [InlineData(RecurrentKind.Gru, 19, 3, true)]
    [InlineData(RecurrentKind.Gru, 16, 1, false)]
    public void FusedAndComposedAgreeAtVectorWidths(RecurrentKind kind, int hidden, int batch, bool variableLengths) =>
        AssertFusedMatchesComposed(kind, 6, hidden, batch, variableLengths ? [6, 3, 1] : null);

    /// <summary>Sequences long enough for the input projections and the weight gradients to run in chunks beside the recurrence.</summary>
    [Theory]
    [InlineData(RecurrentKind.Lstm, 1, false)]
    [InlineData(RecurrentKind.Lstm, 2, true)]
    [InlineData(RecurrentKind.Gru, 1, false)]
    [InlineData(RecurrentKind.Gru, 2, true)]
    public void FusedAndComposedAgreeOnLongSequences(RecurrentKind kind, int batch, bool variableLengths) =>
        AssertFusedMatchesComposed(kind, 70, 9, batch, variableLengths ? [70, 33] : null);

    private static void AssertFusedMatchesComposed(RecurrentKind kind, int steps, int hidden, int batch, int[]? lengths) =>
        FusedAgreement.AssertFusedMatchesComposed(
            () => new RecurrentLayer(kind, 5, hidden, 1, bidirectional: true, dtype: DType.Float64, generator: new Generator(51)),
            seed: 52, steps, batch, initialState: true, lengths);

    [Fact]
    public void FusedGruGradientsMatchFiniteDifferences() =>
        FusedAgreement.SequenceGradientsMatchFiniteDifferences(40, gates: 3, hidden: 2, cellState: false, (l, reverse) =>
            Tensor.GruSequence(l.X, l.H0, l.WeightIh, l.WeightHh, l.BiasIh, l.BiasHh, reverse, [4, 2]));

    [Fact]
    public void FusedGradientsMatchFiniteDifferences() =>
        FusedAgreement.SequenceGradientsMatchFiniteDifferences(20, gates: 4, hidden: 2, cellState: true, (l, reverse) =>
            Tensor.LstmSequence(l.X, l.H0, l.C0!, l.WeightIh, l.WeightHh, l.BiasIh, l.BiasHh, reverse, [4, 3]));

    [Fact]
    public void Float32AgreesWithFloat64AndErrorsNameTheOp()
    {
        var layer64 = new Lstm(3, 4, 2, dtype: DType.Float64, generator: new Generator(30)) { UseFusedKernels = true };
        var layer32 = new Lstm(3, 4, 2, generator: new Generator(30)) { UseFusedKernels = true };
        var x = Random64.Normal(31, 6, 2, 3);
        TensorAssert.Close(layer64.Forward(x).Output.ToDoubleArray(), layer32.Forward(x.To(DType.Float32)).Output, 1e-5);
        var error = Assert.Throws<ArgumentException>(() => Tensor.LstmSequence(x, Tensor.Zeros(new Shape(2, 4), DType.Float64),
            Tensor.Zeros(new Shape(2, 4), DType.Float64), Random64.Normal(1, 16, 5), Random64.Normal(2, 16, 4), null, null));
        Assert.Contains("lstm_sequence", error.Message);
        Assert.Contains("[16,5]", error.Message);
    }

    [Fact]
    public void HigherOrderGradientsThroughTheFusedKernelAreRefusedClearly()
    {
        var layer = new Lstm(2, 3, dtype: DType.Float64, generator: new Generator(40)) { UseFusedKernels = true };
        var x = Random64.Normal(41, 3, 1, 2).SetRequiresGrad();
        var error = Assert.Throws<NotSupportedException>(() => layer.Forward(x).Output.Sum().Backward(createGraph: true));
        Assert.Contains("composed path", error.Message);
    }
}
