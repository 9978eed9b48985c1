using AutoDiffRnn.Autodiff;
using AutoDiffRnn.FSharp;
using Xunit.Sdk;

namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// What <see cref="GradientAssert"/> and <see cref="LeafGradientAssert"/> refuse: a wrong VJP, including one only 1% off on a
/// gradient of size 1e-4, which GradCheck's element-wise measure (absolute below 1) alone would pass at tolerance 1e-5.
/// </summary>
public class GradientAssertTests
{
    /// <summary>scale·tanh(x), its VJP multiplied by <paramref name="vjpFactor"/> (1: right; else deliberately wrong).</summary>
    private static Tensor ScaledTanh(Tensor x, double scale, double vjpFactor)
    {
        Tensor y;
        using (GradMode.NoGrad()) y = x.Tanh() * scale;
        var derivative = 1.0 - (y / scale) * (y / scale);
        return Tape.Record("scaled_tanh", y, [x], g => [g * derivative * (scale * vjpFactor)]);
    }

    private static readonly Tensor Point = Random64.Normal(3, 4, 5);

    [Fact]
    public void ARightVjpPasses()
    {
        GradientAssert.MatchesFiniteDifferences(x => ScaledTanh(x, 1e-4, 1), Point, tolerance: 1e-5);
        GradientAssert.MatchesFiniteDifferences(x => ScaledTanh(x, 1, 1), Point);
    }

    [Fact]
    public void AVjpWithTheWrongSignFails() =>
        Assert.ThrowsAny<XunitException>(() => GradientAssert.MatchesFiniteDifferences(x => ScaledTanh(x, 1, -1), Point));

    [Fact]
    public void ASmallGradientOnePercentOffFailsThoughItIsWithinTheElementWiseTolerance()
    {
        // what the element-wise measure alone says: |a − b| is about 1e-4 · 1% = 1e-6, within tolerance 1e-5
        var defaults = GradCheckOptions.Default;
        var options = new GradCheckOptions(
            new GradCheckTolerances(defaults.Tolerances.Value, 1e-5, defaults.Tolerances.DotProduct, defaults.Tolerances.Jacobian),
            defaults.Step, defaults.Seed, 1, defaults.JacobianLimit);
        var elementWise = GradCheck.CheckWith(options, GradCase.Create("1% off", x => ScaledTanh(x[0], 1e-4, 1.01), [Point]));
        Assert.True(elementWise.Passed, elementWise.ToTable());
        // the asserts also measure norm-wise (error 1e-2), as they did before they called GradCheck
        Assert.ThrowsAny<XunitException>(() => GradientAssert.MatchesFiniteDifferences(x => ScaledTanh(x, 1e-4, 1.01), Point, tolerance: 1e-5));
        var leaf = Point.Clone().SetRequiresGrad();
        Assert.ThrowsAny<XunitException>(() => LeafGradientAssert.MatchesFiniteDifferences(() => ScaledTanh(leaf, 1e-4, 1.01), [("x", leaf)], tolerance: 1e-5));
    }
}
