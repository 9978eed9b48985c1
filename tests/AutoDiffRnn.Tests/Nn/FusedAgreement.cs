using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>The check the fused recurrent tests share: a layer's fused path against its composed path (the reference).</summary>
internal static class FusedAgreement
{
    /// <summary>
    /// Runs the layer <paramref name="makeLayer"/> builds, once composed and once fused, on x of [steps, batch, input] drawn from
    /// <paramref name="seed"/> (the initial states, when given, from seed + 1 and + 2; the weights of the outputs from seed + 3 on),
    /// backpropagates the weighted sum of every output, and asserts that the outputs and the gradients of the parameters, x and the
    /// initial states agree to 1e-12.
    /// </summary>
    public static void AssertFusedMatchesComposed(Func<RecurrentLayer> makeLayer, ulong seed, int steps, int batch, bool initialState,
        int[]? lengths)
    {
        (Tensor[] Values, Tensor[] Gradients) Run(bool fused)
        {
            var layer = makeLayer();
            layer.UseFusedKernels = fused;
            int stateRows = layer.NumLayers * layer.Directions;
            bool lstm = layer.Kind == RecurrentKind.Lstm;
            var x = Random64.Normal(seed, steps, batch, layer.InputSize).SetRequiresGrad();
            var h0 = Random64.Normal(seed + 1, stateRows, batch, layer.HiddenSize).SetRequiresGrad();
            var c0 = lstm ? Random64.Normal(seed + 2, stateRows, batch, layer.HiddenSize).SetRequiresGrad() : null;
            var result = initialState ? layer.Forward(x, h0, c0, lengths) : layer.Forward(x, lengths: lengths);
            Assert.Equal(lstm, result.Cell is not null);
            Tensor[] values = result.Cell is null ? [result.Output, result.Hidden] : [result.Output, result.Hidden, result.Cell];
            var loss = values.Select((value, k) => (value * Random64.Normal(seed + 3 + (ulong)k, value.Shape.ToArray())).Sum()).Aggregate((a, b) => a + b);
            loss.Backward();
            var gradients = layer.Parameters().Select(p => p.Grad!).Append(x.Grad!);
            if (initialState) gradients = gradients.Append(h0.Grad!);
            if (initialState && c0 is not null) gradients = gradients.Append(c0.Grad!);
            return (values, gradients.ToArray());
        }
        var composed = Run(fused: false);
        var fast = Run(fused: true);
        for (int i = 0; i < composed.Values.Length; i++) TensorAssert.Close(composed.Values[i], fast.Values[i], 1e-12);
        Assert.Equal(composed.Gradients.Length, fast.Gradients.Length);
        for (int i = 0; i < composed.Gradients.Length; i++) TensorAssert.Close(composed.Gradients[i], fast.Gradients[i], 1e-12);
    }

    /// <summary>The leaves of a fused sequence op: x, the initial states (c0 for the LSTM only), the weights and the biases.</summary>
    public sealed record SequenceLeaves(Tensor X, Tensor H0, Tensor? C0, Tensor WeightIh, Tensor WeightHh, Tensor BiasIh, Tensor BiasHh);

    /// <summary>
    /// A fused sequence op's gradients against finite differences in both directions (<see cref="LeafGradientAssert"/>): x of
    /// [4, 2, 3] and then h0, c0 (with <paramref name="cellState"/>), W_ih, W_hh, b_ih, b_hh of a cell with <paramref name="gates"/> gates
    /// of <paramref name="hidden"/> units, drawn from <paramref name="seed"/>, seed + 1, … in that order.
    /// </summary>
    public static void SequenceGradientsMatchFiniteDifferences(ulong seed, int gates, int hidden, bool cellState,
        Func<SequenceLeaves, bool, Tensor> sequence)
    {
        ulong next = seed;
        Tensor Leaf(params int[] shape) => Random64.Normal(next++, shape).SetRequiresGrad();
        var x = Leaf(4, 2, 3);
        var h0 = Leaf(2, hidden);
        var c0 = cellState ? Leaf(2, hidden) : null;
        var leaves = new SequenceLeaves(x, h0, c0, Leaf(gates * hidden, 3), Leaf(gates * hidden, hidden), Leaf(gates * hidden), Leaf(gates * hidden));
        var named = new List<(string, Tensor)> { ("x", x), ("h0", h0) };
        if (c0 is not null) named.Add(("c0", c0));
        named.AddRange([("weight_ih", leaves.WeightIh), ("weight_hh", leaves.WeightHh), ("bias_ih", leaves.BiasIh), ("bias_hh", leaves.BiasHh)]);
        foreach (var reverse in new[] { false, true })
            LeafGradientAssert.MatchesFiniteDifferences(() => sequence(leaves, reverse), named);
    }
}
