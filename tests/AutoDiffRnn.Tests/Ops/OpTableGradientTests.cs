using AutoDiffRnn.Tests.Support;
using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Tests.Ops;

/// <summary>
/// The gradient tests of every op, drawn from the op table (<see cref="OpTable"/>, AutoDiffRnn.FSharp): for each row, seeded draws
/// of shapes, values and arguments, each checked by <see cref="GradCheck"/> against central finite differences and against the
/// row's reference on duals (the dot-product identity and full Jacobians). The per-op tests beside this file keep what the
/// table does not say: values, edge cases, float32, error messages.
/// </summary>
public class OpTableGradientTests
{
    private const int DrawsPerRow = 8;

    public static TheoryData<string, int> Draws() => OpTableDraws.Of(DrawsPerRow);

    [Theory]
    [MemberData(nameof(Draws))]
    public void GradientsMatchFiniteDifferencesAndTheForwardModeReference(string row, int draw)
    {
        var spec = OpTableDraws.Row(row);
        var sample = OpTableDraws.Sample(spec, draw, seedStride: 7919);
        var report = GradCheck.Check(sample.GradCase);
        Assert.True(report.Passed, report.ToTable());
        Assert.Contains(report.Comparisons, comparison => comparison.Check.IsDotProduct);
        foreach (var name in spec.Records)
            Assert.True(report.Operations.Contains(name), $"{sample.Label} must record {name}; it recorded {string.Join(", ", report.Operations)}");
    }

    [Fact]
    public void EveryOperationHasARow() =>
        Assert.True(OpTable.Missing().IsEmpty, $"operations of Operations.Names without a row in OpTable: {string.Join(", ", OpTable.Missing())}");
}
