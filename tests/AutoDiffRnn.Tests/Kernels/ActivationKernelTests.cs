using System.Numerics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>The in-register sigmoid and tanh of the fused recurrent kernels (float lanes have their own exp) against double references.</summary>
public class ActivationKernelTests
{
    [Fact]
    public void FloatLanesAreAccurateToAboutAnUlp()
    {
        var random = new Random(3);
        var values = new float[1 << 14];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() - 0.5) * (i % 3 == 0 ? 60 : i % 3 == 1 ? 6 : 1.2));
        for (int i = 0; i + Vector<float>.Count <= values.Length; i += Vector<float>.Count)
        {
            var x = new Vector<float>(values, i);
            var sigmoid = Activations.SigmoidVector(x);
            var tanh = Activations.TanhVector(x);
            for (int lane = 0; lane < Vector<float>.Count; lane++)
            {
                double value = values[i + lane], expectedSigmoid = 1 / (1 + Math.Exp(-value)), expectedTanh = Math.Tanh(value);
                Assert.True(Math.Abs(sigmoid[lane] - expectedSigmoid) <= 3e-7 * expectedSigmoid, $"σ({value:R}) = {sigmoid[lane]:R}, expected {expectedSigmoid:R}");
                Assert.True(Math.Abs(tanh[lane] - expectedTanh) <= 3e-7 * Math.Abs(expectedTanh), $"tanh({value:R}) = {tanh[lane]:R}, expected {expectedTanh:R}");
            }
        }
    }

    [Fact]
    public void FloatLanesSaturateAndPassNaN()
    {
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1000f, -1000f, 0f, 88.6f, -88.6f];
        var x = new Vector<float>(Enumerable.Range(0, Vector<float>.Count).Select(i => special[i % special.Length]).ToArray());
        var sigmoid = Activations.SigmoidVector(x);
        var tanh = Activations.TanhVector(x);
        for (int lane = 0; lane < Vector<float>.Count; lane++)
        {
            float value = x[lane];
            if (float.IsNaN(value))
            {
                Assert.True(float.IsNaN(sigmoid[lane]) && float.IsNaN(tanh[lane]));
                continue;
            }
            Assert.Equal(1 / (1 + Math.Exp(-value)), sigmoid[lane], 1e-30);
            Assert.Equal(Math.Tanh(value), tanh[lane], 1e-30);
        }
    }

    /// <summary>
    /// The unrolled tanh series equals Horner's rule looped over the coefficient table bit for bit, and a vector whose lanes are all
    /// below the threshold (which skips the exp form) gives each lane the bits it gets beside a lane above the threshold.
    /// </summary>
    [Fact]
    public void TanhSeriesIsTheTableInEitherPath()
    {
        static void Check<T>(double scale) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(5);
            var coefficients = Activations.TanhSeries<T>.Coefficients;
            int lanes = Vector<T>.Count;
            for (int round = 0; round < 200; round++)
            {
                var values = Enumerable.Range(0, lanes).Select(_ => T.CreateTruncating((random.NextDouble() - 0.5) * scale)).ToArray();
                var x = new Vector<T>(values);
                var polynomial = new Vector<T>(coefficients[^1]);
                for (int k = coefficients.Length - 2; k >= 0; k--)
                    polynomial = Activations.MultiplyAdd(polynomial, x * x, new Vector<T>(coefficients[k]));
                Assert.Equal(polynomial, Activations.TanhSeriesVector(x * x));
                var allSmall = Activations.TanhVector(x);
                for (int lane = 0; lane < lanes; lane++)
                {
                    var mixed = (T[])values.Clone();
                    mixed[(lane + 1) % lanes] = T.CreateTruncating(3.0); // a lane above the threshold: the exp form and the selection
                    if (lanes == 1) mixed[0] = values[0];
                    Assert.Equal(allSmall[lane], Activations.TanhVector(new Vector<T>(mixed))[lane]);
                }
            }
        }
        Check<float>(0.99);  // |x| < 0.5: every lane on the series
        Check<double>(0.59); // |x| < 0.3
    }

    [Fact]
    public void DoubleLanesMatchTheSpanKernels()
    {
        var random = new Random(4);
        var values = Enumerable.Range(0, 64).Select(i => (random.NextDouble() - 0.5) * (i % 2 == 0 ? 40 : 1)).ToArray();
        var sigmoid = new double[values.Length];
        System.Numerics.Tensors.TensorPrimitives.Sigmoid<double>(values, sigmoid);
        var tanh = new double[values.Length];
        Activations.Tanh<double>(values, tanh);
        for (int i = 0; i + Vector<double>.Count <= values.Length; i += Vector<double>.Count)
        {
            var x = new Vector<double>(values, i);
            for (int lane = 0; lane < Vector<double>.Count; lane++)
            {
                Assert.Equal(sigmoid[i + lane], Activations.SigmoidVector(x)[lane]);
                Assert.Equal(tanh[i + lane], Activations.TanhVector(x)[lane]);
            }
        }
    }
}
