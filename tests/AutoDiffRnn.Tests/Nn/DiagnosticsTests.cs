using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

public class DiagnosticsTests
{
    private static Tensor[] Inputs(int steps) => Enumerable.Range(0, steps).Select(t => Random64.Normal((ulong)t + 100, 1, 3)).ToArray();

    [Fact]
    public void TanhRnnGradientsVanishWhileAnLstmWithOpenForgetGatesKeepsThem()
    {
        var rnn = new RnnCell(3, 16, dtype: DType.Float64, generator: new Generator(1));
        var lstm = new LstmCell(3, 16, dtype: DType.Float64, generator: new Generator(2));
        var bias = lstm.BiasHh!.ToDoubleArray();
        for (int j = 16; j < 32; j++) bias[j] += 3;
        lstm.LoadStateDict(new Dictionary<string, Tensor> { ["bias_hh"] = Tensor.FromArray(bias) }, strict: false);
        var rnnNorms = GradientDiagnostics.HiddenStateGradientNorms(rnn, Inputs(60));
        var lstmNorms = GradientDiagnostics.HiddenStateGradientNorms(lstm, Inputs(60));
        Assert.Equal(60, rnnNorms.Length);
        Assert.True(rnnNorms[0] < 1e-6 * rnnNorms[59], $"tanh RNN: {rnnNorms[0]:E2} at step 0 vs {rnnNorms[59]:E2} at the end");
        Assert.True(lstmNorms[0] > 1e-2 * lstmNorms[59], $"LSTM: {lstmNorms[0]:E2} at step 0 vs {lstmNorms[59]:E2} at the end");
        Assert.All(rnn.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void TheLastStepsNormIsTheLossGradientAndEarlierOnesFollowTheChainRule()
    {
        // with L = Σ h_T, dL/dh_T is all ones: its norm is √H
        var gru = new GruCell(3, 4, dtype: DType.Float64, generator: new Generator(3));
        var norms = GradientDiagnostics.HiddenStateGradientNorms(gru, Inputs(5));
        Assert.Equal(2.0, norms[4], 12);
        // the step before: the norm of the vector-Jacobian product through one GRU step, computed directly on the tape
        var inputs = Inputs(5);
        Tensor? h = null;
        for (int t = 0; t < 4; t++) h = gru.Forward(inputs[t], h);
        var leaf = h!.Detach().SetRequiresGrad();
        gru.Forward(inputs[4], leaf).Sum().Backward();
        Assert.Equal(Math.Sqrt(leaf.Grad!.ToDoubleArray().Sum(v => v * v)), norms[3], 12);
    }

    [Fact]
    public void TruncatedBackpropagationCarriesTheStateButCutsTheGraph()
    {
        var layer = new Lstm(3, 4, dtype: DType.Float64, generator: new Generator(4));
        var sequence = Random64.Normal(5, 10, 2, 3);
        var starts = new List<int>();
        var losses = TruncatedBackpropagation.Run(layer, sequence, 4, (output, start) =>
        {
            starts.Add(start);
            return output.Output.Pow(2).Mean();
        });
        Assert.Equal(new[] { 0, 4, 8 }, starts);
        Assert.Equal(3, losses.Count);
        // the carried state makes the chunks equal to one pass over the whole sequence (values), although gradients stop at chunk borders
        var whole = layer.Forward(sequence).Output.Narrow(0, 8, 2).Pow(2).Mean().ToScalar();
        Assert.Equal(whole, losses[2], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => TruncatedBackpropagation.Run(layer, sequence, 0, (o, s) => o.Output.Sum()));
    }
}
