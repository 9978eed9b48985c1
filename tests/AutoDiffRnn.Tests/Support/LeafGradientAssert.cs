using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// Finite-difference checks for computations over many leaves (module parameters, inputs, initial states): each leaf's storage is
/// perturbed in place and the computation rerun, so it works for modules whose parameters are read inside Forward. The differences
/// and the error measure are GradCheck's (<see cref="FiniteDifferences"/>: central, step 2⁻¹⁷, |a − b| / max(1, |a|, |b|) per element),
/// and the norm-wise error ‖a − b‖ / max(‖a‖, ‖b‖) must be within the tolerance too (see <see cref="GradientAssert"/>).
/// </summary>
public static class LeafGradientAssert
{
    /// <summary>Asserts that every leaf's tape gradient of Σ w ⊙ compute() matches central differences, element by element.</summary>
    public static void MatchesFiniteDifferences(Func<Tensor> compute, IReadOnlyList<(string Name, Tensor Leaf)> leaves, double tolerance = 1e-6)
    {
        foreach (var (name, leaf) in leaves)
        {
            Assert.True(leaf.DType == DType.Float64 && leaf.IsLeaf && leaf.RequiresGrad, $"{name} must be a float64 leaf that requires gradients");
            leaf.ZeroGrad();
        }
        var output = compute();
        var weights = Tensor.Normal(output.Shape, dtype: DType.Float64, generator: new Generator(99));
        (output * weights).Sum().Backward();
        double Objective()
        {
            using var _ = AutoDiffRnn.Autodiff.GradMode.NoGrad();
            return (compute() * weights).Sum().ToScalar();
        }
        foreach (var (name, leaf) in leaves)
        {
            var analytic = leaf.Grad?.ToDoubleArray() ?? new double[leaf.ElementCount];
            var original = leaf.ToDoubleArray();
            var numeric = FiniteDifferences.Central(GradCheckOptions.Default.Step, leaf.ToDoubleArray(), (i, values) =>
            {
                leaf.SetFlat(i, values[i]);
                double value = Objective();
                leaf.SetFlat(i, original[i]);
                return value;
            });
            double error = FiniteDifferences.LargestErrors(analytic, numeric).Item2;
            Assert.True(error < tolerance, $"{name} {leaf.Shape}: gradient relative error {error:E3} exceeds {tolerance:E1}");
            double normWise = GradientAssert.RelativeError(analytic, numeric);
            Assert.True(normWise < tolerance, $"{name} {leaf.Shape}: gradient norm-wise relative error {normWise:E3} exceeds {tolerance:E1}");
        }
    }
}
