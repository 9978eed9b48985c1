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
    public void FusedAndComposedPathsGiveTheSameOutputsAndGradients(int layers, bool bidirectional, bool bias, bool initialState, bool variableLengths)
    {
        int steps = 5, batch = 3, input = 4, hidden = 3, directions = bidirectional ? 2 : 1;
        int[]? lengths = variableLengths ? [5, 2, 1] : null;
        (Tensor[] Values, Tensor[] Gradients) Run(bool fused)
        {
            var layer = new Lstm(input, hidden, layers, bias, bidirectional: bidirectional, dtype: DType.Float64, generator: new Generator(11))
            {
                UseFusedKernels = fused,
            };
            var x = Random64.Normal(12, steps, batch, input).SetRequiresGrad();
            var h0 = Random64.Normal(13, layers * directions, batch, hidden).SetRequiresGrad();
            var c0 = Random64.Normal(14, layers * directions, batch, hidden).SetRequiresGrad();
            var result = initialState ? layer.Forward(x, h0, c0, lengths) : layer.Forward(x, lengths: lengths);
            var weights = new[] { Random64.Normal(15, result.Output.Shape.ToArray()), Random64.Normal(16, result.Hidden.Shape.ToArray()), Random64.Normal(17, result.Cell!.Shape.ToArray()) };
            ((result.Output * weights[0]).Sum() + (result.Hidden * weights[1]).Sum() + (result.Cell * weights[2]).Sum()).Backward();
            var gradients = layer.Parameters().Select(p => p.Grad!).Append(x.Grad!);
            if (initialState) gradients = gradients.Append(h0.Grad!).Append(c0.Grad!);
            return ([result.Output, result.Hidden, result.Cell], gradients.ToArray());
        }
        var composed = Run(fused: false);
        var fast = Run(fused: true);
        for (int i = 0; i < composed.Values.Length; i++) TensorAssert.Close(composed.Values[i], fast.Values[i], 1e-12);
        Assert.Equal(composed.Gradients.Length, fast.Gradients.Length);
        for (int i = 0; i < composed.Gradients.Length; i++) TensorAssert.Close(composed.Gradients[i], fast.Gradients[i], 1e-12);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FusedAndComposedGruGiveTheSameOutputsAndGradients(int layers, bool bidirectional, bool bias, bool initialState, bool variableLengths)
    {
        int steps = 5, batch = 3, input = 4, hidden = 3, directions = bidirectional ? 2 : 1;
        int[]? lengths = variableLengths ? [5, 2, 1] : null;
        (Tensor[] Values, Tensor[] Gradients) Run(bool fused)
        {
            var layer = new Gru(input, hidden, layers, bias, bidirectional: bidirectional, dtype: DType.Float64, generator: new Generator(31))
            {
                UseFusedKernels = fused,
            };
            var x = Random64.Normal(32, steps, batch, input).SetRequiresGrad();
            var h0 = Random64.Normal(33, layers * directions, batch, hidden).SetRequiresGrad();
            var result = initialState ? layer.Forward(x, h0, null, lengths) : layer.Forward(x, lengths: lengths);
            Assert.Null(result.Cell);
            ((result.Output * Random64.Normal(35, result.Output.Shape.ToArray())).Sum() + (result.Hidden * Random64.Normal(36, result.Hidden.Shape.ToArray())).Sum()).Backward();
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

    private static void AssertFusedMatchesComposed(RecurrentKind kind, int steps, int hidden, int batch, int[]? lengths)
    {
        int input = 5;
        (Tensor[] Values, Tensor[] Gradients) Run(bool fused)
        {
            var layer = new RecurrentLayer(kind, input, hidden, 1, bidirectional: true, dtype: DType.Float64, generator: new Generator(51))
            {
                UseFusedKernels = fused,
            };
            var x = Random64.Normal(52, steps, batch, input).SetRequiresGrad();
            var h0 = Random64.Normal(53, 2, batch, hidden).SetRequiresGrad();
            var c0 = kind == RecurrentKind.Lstm ? Random64.Normal(54, 2, batch, hidden).SetRequiresGrad() : null;
            var result = layer.Forward(x, h0, c0, lengths);
            var loss = (result.Output * Random64.Normal(55, result.Output.Shape.ToArray())).Sum() + (result.Hidden * Random64.Normal(56, result.Hidden.Shape.ToArray())).Sum();
            if (result.Cell is not null) loss = loss + (result.Cell * Random64.Normal(57, result.Cell.Shape.ToArray())).Sum();
            loss.Backward();
            var gradients = layer.Parameters().Select(p => p.Grad!).Append(x.Grad!).Append(h0.Grad!);
            if (c0 is not null) gradients = gradients.Append(c0.Grad!);
            Tensor[] values = result.Cell is null ? [result.Output, result.Hidden] : [result.Output, result.Hidden, result.Cell];
            return (values, gradients.ToArray());
        }
        var composed = Run(fused: false);
        var fast = Run(fused: true);
        for (int i = 0; i < composed.Values.Length; i++) TensorAssert.Close(composed.Values[i], fast.Values[i], 1e-12);
        Assert.Equal(composed.Gradients.Length, fast.Gradients.Length);
        for (int i = 0; i < composed.Gradients.Length; i++) TensorAssert.Close(composed.Gradients[i], fast.Gradients[i], 1e-12);
    }

    [Fact]
    public void FusedGruGradientsMatchFiniteDifferences()
    {
        var x = Random64.Normal(40, 4, 2, 3).SetRequiresGrad();
        var h0 = Random64.Normal(41, 2, 2).SetRequiresGrad();
        var wih = Random64.Normal(42, 6, 3).SetRequiresGrad();
        var whh = Random64.Normal(43, 6, 2).SetRequiresGrad();
        var bih = Random64.Normal(44, 6).SetRequiresGrad();
        var bhh = Random64.Normal(45, 6).SetRequiresGrad();
        foreach (var reverse in new[] { false, true })
            LeafGradientAssert.MatchesFiniteDifferences(() => Tensor.GruSequence(x, h0, wih, whh, bih, bhh, reverse, [4, 2]),
                [("x", x), ("h0", h0), ("weight_ih", wih), ("weight_hh", whh), ("bias_ih", bih), ("bias_hh", bhh)]);
    }

    [Fact]
    public void FusedGradientsMatchFiniteDifferences()
    {
        var x = Random64.Normal(20, 4, 2, 3).SetRequiresGrad();
        var h0 = Random64.Normal(21, 2, 2).SetRequiresGrad();
        var c0 = Random64.Normal(22, 2, 2).SetRequiresGrad();
        var wih = Random64.Normal(23, 8, 3).SetRequiresGrad();
        var whh = Random64.Normal(24, 8, 2).SetRequiresGrad();
        var bih = Random64.Normal(25, 8).SetRequiresGrad();
        var bhh = Random64.Normal(26, 8).SetRequiresGrad();
        foreach (var reverse in new[] { false, true })
            LeafGradientAssert.MatchesFiniteDifferences(() => Tensor.LstmSequence(x, h0, c0, wih, whh, bih, bhh, reverse, [4, 3]),
                [("x", x), ("h0", h0), ("c0", c0), ("weight_ih", wih), ("weight_hh", whh), ("bias_ih", bih), ("bias_hh", bhh)]);
    }

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
