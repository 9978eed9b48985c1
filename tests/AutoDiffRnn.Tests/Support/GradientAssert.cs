namespace AutoDiffRnn.Tests.Support;

/// <summary>
/// Checks reverse-mode gradients against central finite differences in float64.
/// The function's output is reduced to a scalar with fixed random weights (so every output element matters),
/// then each input element is perturbed by ±step.
/// </summary>
public static class GradientAssert
{
    /// <summary>Asserts that the tape's gradient of every input agrees with finite differences (norm-wise relative error).</summary>
    public static void MatchesFiniteDifferences(Func<Tensor[], Tensor> function, Tensor[] inputs,
        double tolerance = 1e-6, double step = 1e-5, ulong seed = 7)
    {
        foreach (var input in inputs)
            Assert.True(input.DType == DType.Float64, "gradient checks run in float64");
        var leaves = inputs.Select(input => input.Detach().Clone().SetRequiresGrad()).ToArray();
        var probe = function(leaves);
        var weights = Tensor.Normal(probe.Shape, dtype: DType.Float64, generator: new Generator(seed));
        double Objective(Tensor[] x)
        {
            using var _ = AutoDiffRnn.Autodiff.GradMode.NoGrad();
            return (function(x) * weights).Sum().ToScalar();
        }

        (probe * weights).Sum().Backward();

        for (int i = 0; i < inputs.Length; i++)
        {
            var analytic = leaves[i].Grad?.ToDoubleArray() ?? new double[inputs[i].ElementCount];
            var numeric = new double[inputs[i].ElementCount];
            var values = inputs[i].ToDoubleArray();
            for (int j = 0; j < values.Length; j++)
            {
                double original = values[j];
                values[j] = original + step;
                double plus = Objective(Replace(inputs, i, values));
                values[j] = original - step;
                double minus = Objective(Replace(inputs, i, values));
                values[j] = original;
                numeric[j] = (plus - minus) / (2 * step);
            }
            double error = RelativeError(analytic, numeric);
            Assert.True(error < tolerance,
                $"input {i} {inputs[i].Shape}: gradient relative error {error:E3} exceeds {tolerance:E1}\n" +
                $"analytic: [{string.Join(", ", analytic.Take(8).Select(v => v.ToString("G8")))}]\n" +
                $"numeric:  [{string.Join(", ", numeric.Take(8).Select(v => v.ToString("G8")))}]");
        }
    }

    /// <summary>Shorthand for one input.</summary>
    public static void MatchesFiniteDifferences(Func<Tensor, Tensor> function, Tensor input, double tolerance = 1e-6, double step = 1e-5) =>
        MatchesFiniteDifferences(x => function(x[0]), [input], tolerance, step);

    /// <summary>‖a − b‖ / max(‖a‖, ‖b‖, 1e-12): zero for equal vectors, scale-free otherwise.</summary>
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

    private static Tensor[] Replace(Tensor[] inputs, int index, double[] values) =>
        inputs.Select((input, i) => i == index ? Tensor.FromArray(values, input.Shape) : input).ToArray();
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
