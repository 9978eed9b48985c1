namespace AutoDiffRnn.Tests.Ops.Convolution;

/// <summary>
/// The vectorized max-pool rows (2×2 stride 2, and stride 1 along the width) against a plain scan written here: values, and the
/// gradient's position (PyTorch's tie rule: the first maximum in row-major order; NaN wins), on inputs full of ties and with NaNs,
/// at widths that leave a scalar remainder, in float32 and float64.
/// </summary>
public class MaxPoolVectorizedTests
{
    public static TheoryData<int, int, int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, int, int, int, int, bool>();
        foreach (bool nan in new[] { false, true })
            foreach (int width in new[] { 8, 17, 24, 33, 48 })
            {
                data.Add(width, 2, 2, 2, 2, 1, nan);      // the notes' pooling
                data.Add(width, 3, 3, 1, 1, 1, nan);      // stride 1
                data.Add(width, 2, 3, 1, 1, 2, nan);      // stride 1, dilated
                data.Add(width, 3, 2, 2, 1, 1, nan);      // stride (2, 1)
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValuesAndGradientPositionsMatchAPlainScan(int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int dilation, bool nan)
    {
        const int planes = 3, height = 7;
        var random = new Generator((ulong)(width * 131 + kernelHeight * 17 + kernelWidth * 7 + strideHeight * 3 + dilation + (nan ? 1000 : 0)));
        var values = new double[planes * height * width];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextInt(4);      // four levels: ties everywhere
        if (nan)
            for (int n = 0; n < 6; n++) values[random.NextInt(values.Length)] = double.NaN;
        var (expected, expectedPositions, outHeight, outWidth) = Reference(values, planes, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, dilation);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var input = Tensor.FromArray(values, new Shape(1, planes, height, width), dtype).SetRequiresGrad();
            var output = input.MaxPool2d((kernelHeight, kernelWidth), (strideHeight, strideWidth), dilation: (dilation, dilation));
            Assert.Equal(new Shape(1, planes, outHeight, outWidth), output.Shape);
            var actual = output.ToDoubleArray();
            for (int k = 0; k < expected.Length; k++)
                Assert.True(expected[k].Equals(actual[k]), $"{dtype}: output {k} is {actual[k]}, the scan gives {expected[k]}");
            // output k's gradient is k + 1, so the input's gradient shows which position each output chose
            var gradient = Tensor.FromArray(Enumerable.Range(1, expected.Length).Select(k => (double)k).ToArray(), output.Shape, dtype);
            output.Backward(gradient);
            var expectedGradient = new double[values.Length];
            for (int k = 0; k < expected.Length; k++) expectedGradient[expectedPositions[k]] += k + 1;
            Assert.Equal(expectedGradient, input.Grad!.ToDoubleArray());
        }
    }

    [Fact]
    public void TheVectorRowsRunWithoutNaN()
    {
        // They once compared their all-ordered mask with AllBitsSet as floats (NaN != NaN), so every row fell back to the scalar scan.
        if (!MaxPoolRows.Accelerated) return;
        var rows = Enumerable.Range(0, 64).Select(i => (float)(i % 5)).ToArray();
        var y = new float[16];
        var taps = new float[16];
        Assert.Equal(16, MaxPoolRows.Window2x2<float>(rows.AsSpan(0, 32), rows.AsSpan(32, 32), y, taps));
        Assert.Equal(16, MaxPoolRows.StrideOne<float>(rows, [0, 1, 32, 33], y, taps));
        var doubles = rows.Select(v => (double)v).ToArray();
        Assert.Equal(16, MaxPoolRows.Window2x2<double>(doubles.AsSpan(0, 32), doubles.AsSpan(32, 32), new double[16], new double[16]));
    }

    private static (double[] Values, int[] Positions, int OutHeight, int OutWidth) Reference(double[] x, int planes, int height, int width,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int dilation)
    {
        int outHeight = (height - dilation * (kernelHeight - 1) - 1) / strideHeight + 1, outWidth = (width - dilation * (kernelWidth - 1) - 1) / strideWidth + 1;
        var values = new double[planes * outHeight * outWidth];
        var positions = new int[values.Length];
        int k = 0;
        for (int p = 0; p < planes; p++)
            for (int oh = 0; oh < outHeight; oh++)
                for (int ow = 0; ow < outWidth; ow++, k++)
                {
                    int best = -1;
                    for (int i = 0; i < kernelHeight && (best < 0 || !double.IsNaN(x[best])); i++)
                        for (int j = 0; j < kernelWidth; j++)
                        {
                            int at = (p * height + oh * strideHeight + i * dilation) * width + ow * strideWidth + j * dilation;
                            if (best < 0 || x[at] > x[best] || double.IsNaN(x[at])) best = at;
                            if (double.IsNaN(x[best])) break;
                        }
                    values[k] = x[best];
                    positions[k] = best;
                }
        return (values, positions, outHeight, outWidth);
    }
}
