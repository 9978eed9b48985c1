using AutoDiffRnn.Kernels;

namespace AutoDiffRnn.Tests.Kernels;

/// <summary>
/// The gate-panel micro-kernel of recurrent inference (<see cref="GemmGatePanels"/>): packed panels of W_hh and W_ih times transposed
/// tiles of h and x, plus the biases, against a plain sum in double, for float and double, with and without biases and input, and its
/// size checks.
/// </summary>
public class GemmGatePanelsTests
{
    [Theory]
    [InlineData(5, 3, 2, 1)]
    [InlineData(17, 0, 0, 17)]
    [InlineData(8, 9, 3, 4)]
    public void DoublePanelsMatchTheSum(int hidden, int inputSize, int firstUnit, int units) =>
        Check<double>(hidden, inputSize, firstUnit, units, 1e-12);

    [Theory]
    [InlineData(5, 3, 2, 1)]
    [InlineData(33, 20, 0, 33)]
    public void FloatPanelsMatchTheSum(int hidden, int inputSize, int firstUnit, int units) =>
        Check<float>(hidden, inputSize, firstUnit, units, 1e-4);

    [Fact]
    public void PackRejectsUnitsOutsideTheWeight()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            GemmGatePanels.Pack<double>(new double[4 * 9], new double[4 * 6], 3, 2, 2, 2, new double[100]));
        Assert.Contains("gate panels", error.Message);
        Assert.Throws<ArgumentException>(() => GemmGatePanels.Pack<double>(new double[4 * 9], new double[4 * 6], 3, 2, 0, 3, new double[10]));
    }

    private static unsafe void Check<T>(int hidden, int inputSize, int firstUnit, int units, double tolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(hidden * 31 + inputSize);
        T Draw() => T.CreateTruncating(random.NextDouble() * 2 - 1);
        int tile = GemmGatePanels.BatchTile<T>(), stride = tile + 3, depth = hidden + inputSize;
        var weightHh = Enumerable.Range(0, 4 * hidden * hidden).Select(_ => Draw()).ToArray();
        var weightIh = Enumerable.Range(0, 4 * hidden * inputSize).Select(_ => Draw()).ToArray();
        var stateT = Enumerable.Range(0, hidden * stride).Select(_ => Draw()).ToArray();
        var inputT = Enumerable.Range(0, Math.Max(1, inputSize * stride)).Select(_ => Draw()).ToArray();
        var bias = Enumerable.Range(0, 4 * units).Select(_ => Draw()).ToArray();
        var panels = new T[units * 4 * depth];
        GemmGatePanels.Pack<T>(weightHh, weightIh, hidden, inputSize, firstUnit, units, panels);
        var sums = new T[4 * tile];
        foreach (bool withBias in new[] { false, true })
            for (int u = 0; u < units; u++)
            {
                fixed (T* pw = panels, ph = stateT, px = inputT, pb = bias, ps = sums)
                    GemmGatePanels.Multiply(pw + u * 4 * depth, ph, hidden, px, inputSize, stride, withBias ? pb + 4 * u : null, ps);
                for (int g = 0; g < 4; g++)
                    for (int b = 0; b < tile; b++)
                    {
                        int row = g * hidden + firstUnit + u;
                        double expected = withBias ? double.CreateTruncating(bias[4 * u + g]) : 0;
                        for (int p = 0; p < hidden; p++)
                            expected += double.CreateTruncating(weightHh[row * hidden + p]) * double.CreateTruncating(stateT[p * stride + b]);
                        for (int p = 0; p < inputSize; p++)
                            expected += double.CreateTruncating(weightIh[row * inputSize + p]) * double.CreateTruncating(inputT[p * stride + b]);
                        Assert.True(Math.Abs(double.CreateTruncating(sums[g * tile + b]) - expected) <= tolerance * (1 + Math.Abs(expected)),
                            $"unit {u} gate {g} sequence {b}: {sums[g * tile + b]} against {expected}");
                    }
            }
    }
}
