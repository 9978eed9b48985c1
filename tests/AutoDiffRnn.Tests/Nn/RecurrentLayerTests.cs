using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

public class RecurrentLayerTests
{
    private const int Input = 2, Hidden = 3;

    private static RecurrentLayer Make(RecurrentKind kind, int layers, bool bidirectional, bool bias, bool batchFirst = false, ulong seed = 1) =>
        new(kind, Input, Hidden, layers, bias, batchFirst, 0, bidirectional, DType.Float64, new Generator(seed));

    public static TheoryData<RecurrentKind, int, bool, bool, bool> Grid()
    {
        var data = new TheoryData<RecurrentKind, int, bool, bool, bool>();
        foreach (var kind in Enum.GetValues<RecurrentKind>())
        {
            data.Add(kind, 1, false, true, false);
            data.Add(kind, 2, true, true, true);
            data.Add(kind, 3, false, false, true);
            data.Add(kind, 1, true, false, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void GradientsOfOutputAndStatesMatchFiniteDifferences(RecurrentKind kind, int layers, bool bidirectional, bool bias, bool withInitialState)
    {
        var layer = Make(kind, layers, bidirectional, bias);
        int directions = bidirectional ? 2 : 1, steps = 3, batch = 2;
        var x = Random64.Normal(2, steps, batch, Input).SetRequiresGrad();
        var h0 = Random64.Normal(3, layers * directions, batch, Hidden).SetRequiresGrad();
        var c0 = Random64.Normal(4, layers * directions, batch, Hidden).SetRequiresGrad();
        bool lstm = kind == RecurrentKind.Lstm;
        var leaves = layer.NamedParameters().ToList();
        leaves.Add(("input", x));
        if (withInitialState) { leaves.Add(("h0", h0)); if (lstm) leaves.Add(("c0", c0)); }
        LeafGradientAssert.MatchesFiniteDifferences(() =>
        {
            var result = layer.Forward(x, withInitialState ? h0 : null, withInitialState && lstm ? c0 : null);
            var parts = new List<Tensor> { result.Output.Reshape(-1), result.Hidden.Reshape(-1) };
            if (result.Cell is not null) parts.Add(result.Cell.Reshape(-1));
            return Tensor.Concat(parts, 0);
        }, leaves);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm, true)]
    [InlineData(RecurrentKind.Gru, false)]
    [InlineData(RecurrentKind.RnnTanh, true)]
    public void VariableLengthGradientsMatchFiniteDifferences(RecurrentKind kind, bool bidirectional)
    {
        var layer = Make(kind, 2, bidirectional, true);
        var x = Random64.Normal(5, 4, 3, Input).SetRequiresGrad();
        LeafGradientAssert.MatchesFiniteDifferences(() =>
        {
            var result = layer.Forward(x, lengths: [4, 1, 2]);
            return Tensor.Concat([result.Output.Reshape(-1), result.Hidden.Reshape(-1)], 0);
        }, [.. layer.NamedParameters(), ("input", x)]);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    [InlineData(RecurrentKind.RnnRelu)]
    public void PaddedStepsFollowPackedSequenceSemantics(RecurrentKind kind)
    {
        var layer = Make(kind, 2, bidirectional: true, bias: true, seed: 7);
        int[] lengths = [4, 2, 1];
        var x = Random64.Normal(8, 4, 3, Input);
        var result = layer.Forward(x, lengths: lengths);
        for (int b = 0; b < 3; b++)
        {
            // padded outputs are zero
            for (int t = lengths[b]; t < 4; t++)
                Assert.All(result.Output.Select(0, t).Select(0, b).ToDoubleArray(), v => Assert.Equal(0, v));
            // each sequence alone, truncated to its length, gives the same outputs and final states
            var alone = layer.Forward(x.Narrow(0, 0, lengths[b]).Narrow(1, b, 1));
            TensorAssert.Close(alone.Output.Select(1, 0), result.Output.Narrow(0, 0, lengths[b]).Select(1, b), 1e-12);
            TensorAssert.Close(alone.Hidden.Select(1, 0), result.Hidden.Select(1, b), 1e-12);
            if (kind == RecurrentKind.Lstm) TensorAssert.Close(alone.Cell!.Select(1, 0), result.Cell!.Select(1, b), 1e-12);
        }
        // changing padded inputs changes nothing
        var noise = Random64.Normal(9, 4, 3, Input);
        var mask = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => i / 3 < lengths[i % 3] ? 0.0 : 1.0).ToArray(), new Shape(4, 3, 1));
        var changed = layer.Forward(x + noise * mask, lengths: lengths);
        TensorAssert.Close(result.Output, changed.Output, 0);
        TensorAssert.Close(result.Hidden, changed.Hidden, 0);
    }

    [Fact]
    public void BatchFirstOnlyTransposesInputAndOutput()
    {
        var timeMajor = Make(RecurrentKind.Lstm, 2, true, true, batchFirst: false, seed: 10);
        var batchMajor = Make(RecurrentKind.Lstm, 2, true, true, batchFirst: true, seed: 10);
        var x = Random64.Normal(11, 5, 2, Input);
        var a = timeMajor.Forward(x);
        var b = batchMajor.Forward(x.Transpose(0, 1));
        TensorAssert.Close(a.Output.Transpose(0, 1), b.Output);
        TensorAssert.Close(a.Hidden, b.Hidden);
        Assert.Equal(new Shape(2, 5, 2 * Hidden), b.Output.Shape);
        Assert.Equal(new Shape(4, 2, Hidden), b.Hidden.Shape);
    }

    [Fact]
    public void ShapesAndParameterNamesArePyTorchs()
    {
        var lstm = new Lstm(Input, Hidden, numLayers: 2, bidirectional: true);
        string[] expected =
        [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ];
        Assert.Equal(expected, lstm.NamedParameters().Select(p => p.Name));
        var state = lstm.StateDict();
        Assert.Equal(new Shape(4 * Hidden, Input), state["weight_ih_l0"].Shape);
        Assert.Equal(new Shape(4 * Hidden, 2 * Hidden), state["weight_ih_l1_reverse"].Shape);
        Assert.Equal(new Shape(4 * Hidden, Hidden), state["weight_hh_l1"].Shape);
        Assert.Equal(new Shape(3 * Hidden, Input), new Gru(Input, Hidden).StateDict()["weight_ih_l0"].Shape);
        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0" }, new Rnn(Input, Hidden, bias: false).NamedParameters().Select(p => p.Name));
        var result = lstm.Forward(Tensor.Zeros(new Shape(7, 5, Input)));
        Assert.Equal(new Shape(7, 5, 2 * Hidden), result.Output.Shape);
        Assert.Equal(new Shape(4, 5, Hidden), result.Hidden.Shape);
        Assert.Equal(new Shape(4, 5, Hidden), result.Cell!.Shape);
        Assert.Equal(new Shape(5, 2 * Hidden), result.LastOutput(2).Shape);
    }

    [Fact]
    public void LastOutputIsTheFinalStateOfEachDirection()
    {
        var layer = Make(RecurrentKind.Gru, 1, true, true, seed: 12);
        var x = Random64.Normal(13, 4, 2, Input);
        var result = layer.Forward(x);
        var last = result.LastOutput(2);
        TensorAssert.Close(result.Output.Select(0, 3).Narrow(1, 0, Hidden), last.Narrow(1, 0, Hidden)); // forward: after the last step
        TensorAssert.Close(result.Output.Select(0, 0).Narrow(1, Hidden, Hidden), last.Narrow(1, Hidden, Hidden)); // reverse: after step 0
    }

    /// <summary>The output knows its direction count: LastOutput() needs no argument, and a wrong count given to the old form is refused.</summary>
    [Theory]
    [InlineData(RecurrentKind.RnnTanh, false)]
    [InlineData(RecurrentKind.Lstm, true)]
    public void LastOutputTakesTheDirectionsFromTheOutput(RecurrentKind kind, bool bidirectional)
    {
        var layer = Make(kind, 2, bidirectional, true, seed: 15);
        var result = layer.Forward(Random64.Normal(16, 4, 3, Input), lengths: [4, 2, 1]);
        int directions = bidirectional ? 2 : 1;
        Assert.Equal(directions, result.Directions);
        TensorAssert.Close(result.LastOutput(directions), result.LastOutput(), 0);
        Assert.Equal(new Shape(3, directions * Hidden), result.LastOutput().Shape);
        TensorAssert.Close(result.Hidden.Select(0, 2 * directions - 1), result.LastOutput().Narrow(1, (directions - 1) * Hidden, Hidden), 0);
        var error = Assert.Throws<ArgumentException>(() => result.LastOutput(3 - directions));
        Assert.Contains($"{directions} direction", error.Message);
    }

    [Fact]
    public void StateDictRoundTripsIntoAnotherLayer()
    {
        var source = Make(RecurrentKind.Lstm, 2, true, true, seed: 14);
        var target = Make(RecurrentKind.Lstm, 2, true, true, seed: 15);
        var weightBefore = target.Parameters().First();
        target.LoadStateDict(source.StateDict());
        Assert.Same(weightBefore, target.Parameters().First());
        var x = Random64.Normal(16, 3, 2, Input);
        TensorAssert.Close(source.Forward(x).Output, target.Forward(x).Output, 0);
        var wrong = new Dictionary<string, Tensor>(source.StateDict()) { ["weight_ih_l0"] = Tensor.Zeros(new Shape(1, 1), DType.Float64) };
        Assert.Contains("weight_ih_l0", Assert.Throws<ArgumentException>(() => target.LoadStateDict(wrong)).Message);
        var missing = source.StateDict();
        missing.Remove("bias_hh_l1");
        Assert.Contains("bias_hh_l1", Assert.Throws<ArgumentException>(() => target.LoadStateDict(missing)).Message);
    }

    [Fact]
    public void BadInputsAreReported()
    {
        var layer = Make(RecurrentKind.Lstm, 1, false, true);
        Assert.Contains("LSTM", Assert.Throws<ArgumentException>(() => layer.Forward(Random64.Normal(1, 3, 2, Input + 1))).Message);
        Assert.Contains("initial hidden", Assert.Throws<ArgumentException>(() => layer.Forward(Random64.Normal(1, 3, 2, Input), Random64.Normal(2, 2, 2, Hidden))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(Random64.Normal(1, 3, 2, Input), lengths: [3, 4]));
        Assert.Throws<ArgumentException>(() => layer.Forward(Random64.Normal(1, 3, 2, Input), lengths: [3]));
    }

    [Fact]
    public void DropoutBetweenLayersOnlyInTraining()
    {
        var layer = new Lstm(Input, Hidden, numLayers: 2, dropout: 0.5, dtype: DType.Float64, generator: new Generator(20));
        var x = Random64.Normal(21, 3, 2, Input);
        var training1 = layer.Forward(x).Output;
        var training2 = layer.Forward(x).Output;
        Assert.NotEqual(training1.ToDoubleArray(), training2.ToDoubleArray());
        layer.Eval();
        TensorAssert.Close(layer.Forward(x).Output, layer.Forward(x).Output, 0);
    }
}
