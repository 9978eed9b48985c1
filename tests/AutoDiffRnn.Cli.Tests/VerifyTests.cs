using AutoDiffRnn.Cli.Verify;

namespace AutoDiffRnn.Cli.Tests;

public class VerifyTests
{
    [Fact]
    public void EveryOperationAndModuleIsCheckedAndPasses()
    {
        var output = new StringWriter();
        int exitCode = VerifyCommand.Run(output, verbose: false);
        var text = output.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Contains("covered: True", text);
        Assert.DoesNotContain("FAIL", text);
        foreach (var name in Operations.Names) Assert.Contains(name, text.Replace(' ', '_') + text);
        Assert.Contains("Lstm layer, 2 layer(s), bidirectional, fused", text);
        Assert.Contains("additive attention with padding", text);
        Assert.Contains("decoder step (LSTM, additive attention)", text);
    }
}
