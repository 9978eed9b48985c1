using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// Checks reverse-mode gradients against central finite differences in float64 with the one gradient checker of the project,
/// <see cref="GradCheck"/> (AutoDiffRnn.FSharp): the tape's Jᵀu for a random u against central differences of ⟨u, f(x)⟩ with step
/// 2⁻¹⁷, element by element, the error |a − b| / max(1, |a|, |b|) of every element within the tolerance. That measure is absolute
/// below 1, so it would let a gradient of size 1e-4 be 1% wrong at tolerance 1e-5; the norm-wise error ‖a − b‖ / max(‖a‖, ‖b‖) these
/// asserts used before GradCheck must be within the tolerance too (GradientAssertTests pins both).
/// </summary>
public static class GradientAssert
{
    /// <summary>
    /// Asserts that the tape's gradient of every input agrees with finite differences, element by element (fails with GradCheck's
    /// table) and norm-wise.
    /// </summary>
    public static void MatchesFiniteDifferences(Func<Tensor[], Tensor> function, Tensor[] inputs, double tolerance = 1e-6)
    {
        foreach (var input in inputs)
            Assert.True(input.DType == DType.Float64, "gradient checks run in float64");
        var defaults = GradCheckOptions.Default;
        var options = new GradCheckOptions(
            new GradCheckTolerances(defaults.Tolerances.Value, tolerance, defaults.Tolerances.DotProduct, defaults.Tolerances.Jacobian),
            defaults.Step, defaults.Seed, 1, defaults.JacobianLimit);
        var report = GradCheck.CheckWith(options, GradCase.Create("gradient", function, inputs.Select(input => input.Detach().Clone()).ToArray()));
        Assert.True(report.Passed, report.ToTable());
        MatchesNormWise(function, inputs, tolerance);
    }

    /// <summary>The tape's gradient of Σ w ⊙ f(x) (fixed random w) against central differences, norm-wise, for every input.</summary>
    private static void MatchesNormWise(Func<Tensor[], Tensor> function, Tensor[] inputs, double tolerance)
    {
        var leaves = inputs.Select(input => input.Detach().Clone().SetRequiresGrad()).ToArray();
        var probe = function(leaves);
        var weights = Tensor.Normal(probe.Shape, dtype: DType.Float64, generator: new Generator(7));
        (probe * weights).Sum().Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            var analytic = leaves[i].Grad?.ToDoubleArray() ?? new double[inputs[i].ElementCount];
            var point = inputs.Select(input => input.Detach().Clone()).ToArray();
            var original = point[i].ToDoubleArray();
            var numeric = FiniteDifferences.Central(GradCheckOptions.Default.Step, point[i].ToDoubleArray(), (j, values) =>
            {
                point[i].SetFlat(j, values[j]);
                using var _ = AutoDiffRnn.Autodiff.GradMode.NoGrad();
                double value = (function(point) * weights).Sum().ToScalar();
                point[i].SetFlat(j, original[j]);
                return value;
            });
            double error = RelativeError(analytic, numeric);
            Assert.True(error < tolerance, $"input {i} {inputs[i].Shape}: gradient norm-wise relative error {error:E3} exceeds {tolerance:E1}");
        }
    }

    /// <summary>Shorthand for one input.</summary>
    public static void MatchesFiniteDifferences(Func<Tensor, Tensor> function, Tensor input, double tolerance = 1e-6) =>
        MatchesFiniteDifferences(x => function(x[0]), [input], tolerance);

    /// <summary>
    /// ‖a − b‖ / max(‖a‖, ‖b‖, 1e-12): zero for equal vectors, scale-free otherwise. The norm-wise measure of these asserts, and of
    /// second-order checks (Hessian-vector products against differences of gradients), which GradCheck does not make.
    /// </summary>
    public static double RelativeError(double[] a, double[] b)
    {
        double difference = 0, normA = 0, normB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            difference += (a[i] - b[i]) * (a[i] - b[i]);
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }
        return Math.Sqrt(difference) / Math.Max(Math.Sqrt(Math.Max(normA, normB)), 1e-12);
    }
}

/// <summary>Random float64 test tensors from a fixed seed.</summary>
public static class Random64
{
    /// <summary>Normal(0,1) values of the given shape.</summary>
    public static Tensor Normal(ulong seed, params int[] shape) =>
        Tensor.Normal(shape, dtype: DType.Float64, generator: new Generator(seed));

    /// <summary>Uniform values in [low, high) of the given shape.</summary>
    public static Tensor Uniform(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, DType.Float64, new Generator(seed));
}
