using AutoDiffRnn.Nn;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>LoadStateDict reports what it loaded, missed and did not expect, and refuses a state that matches nothing.</summary>
public class LoadStateDictTests
{
    [Fact]
    public void NonStrictLoadingReportsLoadedMissingAndUnexpectedKeys()
    {
        var gru = new Gru(2, 3, generator: new Generator(1));
        var bias = Tensor.Full(new Shape(9), 0.5);
        var result = gru.LoadStateDict(new Dictionary<string, Tensor> { ["bias_hh_l0"] = bias, ["zeta"] = bias, ["alpha"] = bias }, strict: false);
        Assert.Equal(["bias_hh_l0"], result.LoadedKeys);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0"], result.MissingKeys);
        Assert.Equal(["alpha", "zeta"], result.UnexpectedKeys);
        Assert.False(result.IsComplete);
        Assert.Equal(bias.ToDoubleArray(), gru.NamedParameters().Single(p => p.Name == "bias_hh_l0").Parameter.ToDoubleArray());
        Assert.Contains("missing 3", result.ToString());
    }

    [Fact]
    public void AFullStateIsCompleteInStrictMode()
    {
        var source = new Lstm(2, 3, generator: new Generator(2));
        var target = new Lstm(2, 3, generator: new Generator(3));
        var result = target.LoadStateDict(source.StateDict());
        Assert.True(result.IsComplete);
        Assert.Equal(4, result.LoadedKeys.Count);
    }

    [Fact]
    public void AStateThatMatchesNothingIsRefusedAndChangesNothing()
    {
        var lstm = new Lstm(2, 3, generator: new Generator(4));
        var before = lstm.StateDict().ToDictionary(p => p.Key, p => p.Value.ToDoubleArray());
        var error = Assert.Throws<ArgumentException>(() =>
            lstm.LoadStateDict(new Dictionary<string, Tensor> { ["encoder.weight"] = Tensor.Zeros(new Shape(2)) }, strict: false));
        Assert.Contains("none of the 1 names", error.Message);
        Assert.Contains("encoder.weight", error.Message);
        Assert.Contains("weight_ih_l0", error.Message);
        foreach (var (name, values) in lstm.StateDict()) Assert.Equal(before[name], values.ToDoubleArray());
    }

    [Fact]
    public void AShapeMismatchIsRefusedBeforeAnyValueIsCopied()
    {
        var rnn = new Rnn(2, 3, generator: new Generator(5));
        var before = rnn.StateDict().ToDictionary(p => p.Key, p => p.Value.ToDoubleArray());
        var state = new Dictionary<string, Tensor> { ["bias_ih_l0"] = Tensor.Ones(new Shape(3)), ["weight_hh_l0"] = Tensor.Ones(new Shape(4, 4)) };
        var error = Assert.Throws<ArgumentException>(() => rnn.LoadStateDict(state, strict: false));
        Assert.Contains("weight_hh_l0", error.Message);
        foreach (var (name, values) in rnn.StateDict()) Assert.Equal(before[name], values.ToDoubleArray());
    }

    [Fact]
    public void AnEmptyStateLoadsNothingAndSaysSo()
    {
        var linear = new Linear(2, 2, generator: new Generator(6));
        var result = linear.LoadStateDict(new Dictionary<string, Tensor>(), strict: false);
        Assert.Empty(result.LoadedKeys);
        Assert.Equal(2, result.MissingKeys.Count);
    }
}
