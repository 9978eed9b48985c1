namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// Finite-difference checks for computations over many leaves (module parameters, inputs, initial states): each leaf's storage is
/// perturbed in place and the computation rerun, so it works for modules whose parameters are read inside Forward.
/// </summary>
public static class LeafGradientAssert
{
    /// <summary>Asserts that every leaf's tape gradient of Σ w ⊙ compute() matches central differences (norm-wise relative error).</summary>
    public static void MatchesFiniteDifferences(Func<Tensor> compute, IReadOnlyList<(string Name, Tensor Leaf)> leaves,
        double tolerance = 1e-6, double step = 1e-5)
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
            var numeric = new double[leaf.ElementCount];
            for (int i = 0; i < leaf.ElementCount; i++)
            {
                double original = leaf[(long)i];
                leaf.SetFlat(i, original + step);
                double plus = Objective();
                leaf.SetFlat(i, original - step);
                double minus = Objective();
                leaf.SetFlat(i, original);
                numeric[i] = (plus - minus) / (2 * step);
            }
            double error = GradientAssert.RelativeError(analytic, numeric);
            Assert.True(error < tolerance, $"{name} {leaf.Shape}: gradient relative error {error:E3} exceeds {tolerance:E1}");
        }
    }
}
