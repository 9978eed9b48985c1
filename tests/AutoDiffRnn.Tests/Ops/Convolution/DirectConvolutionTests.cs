using System.Numerics;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops.Convolution;

/// <summary>
/// The direct convolution kernels (stride 1 along the width: forward, weight gradient, input gradient) equal the im2col + GEMM paths
/// they replace, over geometries that reach every edge of their layout: output widths that are and are not multiples of the vector,
/// fewer outputs than one vector, output channels not a multiple of four, taps not a multiple of three, padding on one side only,
/// dilation, stride along the height, groups, batch 1–3; in float64 to 1e-12 and float32 to 1e-4 (sums of up to 400 products in another order).
/// </summary>
public class DirectConvolutionTests
{
    /// <summary>(batch, in, out, kH, kW, stride height, padding (valid, same or top,bottom,left,right), dilation, groups, height, width).</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        new object[] { 2, 1, 16, 5, 5, 1, "valid", 1, 1, 28, 28 }, // the benchmark's first case (24 outputs: three whole vectors)
        new object[] { 2, 16, 32, 5, 5, 1, "valid", 1, 1, 12, 12 }, // its second (8 outputs a row: one float vector)
        new object[] { 3, 3, 16, 3, 3, 1, "same", 1, 1, 11, 13 }, // odd sizes, SAME
        new object[] { 1, 2, 5, 3, 2, 1, "0,2,1,0", 2, 1, 7, 5 }, // asymmetric padding, dilation 2, 5 channels
        new object[] { 2, 4, 6, 2, 3, 2, "1,1,1,1", 1, 2, 9, 10 }, // stride 2 along the height, two groups
        new object[] { 3, 6, 6, 3, 3, 1, "2,2,1,1", 2, 6, 6, 17 }, // depthwise, width 17
        new object[] { 1, 3, 7, 1, 1, 1, "valid", 1, 1, 4, 3 }, // pointwise, 3 outputs a row (less than a vector)
        new object[] { 2, 5, 3, 4, 1, 3, "2,2,2,2", 1, 1, 8, 9 }, // a 4×1 kernel, stride 3 along the height
    ];

    private static Tensor Normal(int seed, DType dtype, params int[] shape) => Tensor.Normal(new Shape(shape), dtype: dtype, generator: new Generator((ulong)seed));

    private static ConvGeometry Geometry(Tensor x, Tensor w, int strideHeight, string padding, int dilation, int groups) =>
        ConvGeometry.Create("conv2d", x.Shape, w.Shape, (strideHeight, 1), Parse(padding), (dilation, dilation), groups, "test");

    private static Padding Parse(string padding) => padding switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        _ => padding.Split(',').Select(int.Parse).ToArray() is [var top, var bottom, var left, var right]
            ? Padding.PerSide(top, bottom, left, right)
            : throw new ArgumentException($"padding {padding}"),
    };

    /// <summary>The three direct kernels, each compared with the lowered path it replaces.</summary>
    public enum Pass { Forward, WeightGradient, InputGradient }

    /// <summary>Every pass over every geometry.</summary>
    public static IEnumerable<object[]> PassesAndGeometries =>
        from pass in Enum.GetValues<Pass>() from geometry in Geometries select new object[] { pass }.Concat(geometry).ToArray();

    [Theory]
    [MemberData(nameof(PassesAndGeometries))]
    public void DirectKernelEqualsTheLoweredPath(Pass pass, int batch, int inChannels, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, string padding, int dilation, int groups, int height, int width)
    {
        if (pass == Pass.InputGradient && strideHeight != 1) return; // the direct input gradient needs stride 1 both ways (SupportsInputGradientOnlyAtStrideOne)
        // each pass's seeds for x, w and the bias (forward) or the output gradient
        var (xSeed, wSeed, otherSeed) = pass switch { Pass.Forward => (1, 2, 3), Pass.WeightGradient => (4, 5, 6), _ => (8, 7, 9) };
        foreach (var (dtype, tolerance) in new[] { (DType.Float64, 1e-12), (DType.Float32, 1e-4) })
        {
            var x = Normal(xSeed, dtype, batch, inChannels, height, width);
            var w = Normal(wSeed, dtype, outChannels, inChannels / groups, kernelHeight, kernelWidth);
            var g = Geometry(x, w, strideHeight, padding, dilation, groups);
            var other = Normal(otherSeed, dtype, pass == Pass.Forward ? new[] { outChannels } : g.OutputShape.ToArray());
            if (pass == Pass.InputGradient) Assert.True(DirectConvolution.SupportsInputGradient<double>(g));
            var resultShape = pass switch { Pass.Forward => g.OutputShape, Pass.WeightGradient => g.WeightShape, _ => g.InputShape };
            foreach (var parts in new[] { 1, 2 })
                foreach (var bias in pass == Pass.Forward ? new Tensor?[] { other, null } : new Tensor?[] { null })
                {
                    var expected = pass == Pass.Forward ? Tensor.Empty(resultShape, dtype) : Tensor.Zeros(resultShape, dtype);
                    var actual = Tensor.Full(resultShape, double.NaN, dtype); // every element must be written
                    if (dtype == DType.Float32) Run<float>(); else Run<double>();
                    TensorAssert.Close(expected, actual, tolerance);

                    void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
                    {
                        switch (pass)
                        {
                            case Pass.Forward:
                                Conv2dOp.ForwardLowered<T>(x, w, bias, expected, g);
                                DirectConvolution.Forward<T>(DirectConvolutionPlan.For<T>(g)!, x, w, bias, actual, parts);
                                break;
                            case Pass.WeightGradient:
                                Conv2dOp.WeightBackwardPerSample<T>(x, other, expected, g);
                                DirectConvolution.WeightGradient<T>(DirectConvolutionPlan.For<T>(g)!, x, other, actual, parts);
                                break;
                            default:
                                Conv2dOp.InputBackwardLowered<T>(other, w, expected, g);
                                DirectConvolution.InputGradient<T>(g, other, w, actual, parts);
                                break;
                        }
                    }
                }
        }
    }

    [Fact]
    public void SupportsInputGradientOnlyAtStrideOne()
    {
        var x = Tensor.Zeros(new Shape(1, 2, 9, 9));
        var w = Tensor.Zeros(new Shape(3, 2, 3, 3));
        Assert.True(DirectConvolution.SupportsInputGradient<float>(Geometry(x, w, 1, "valid", 1, 1)));
        Assert.False(DirectConvolution.SupportsInputGradient<float>(Geometry(x, w, 2, "valid", 1, 1)));
        Assert.Null(DirectConvolutionPlan.For<float>(ConvGeometry.Create("conv2d", x.Shape, w.Shape, (1, 2), Padding.Valid, (1, 1), 1, "test")));
    }

    [Fact]
    public void InfinityReadOnlyByLanesPastARowDoesNotReachTheWeightGradient()
    {
        // 5 outputs a row: the last tap column's vector of each row reaches past the row's outputs; an infinity in the next row's
        // first column is read by no output of that tap, so that weight's gradient stays finite (as in the lowered path).
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 7 * 7).Select(i => i % 7 == 0 && i / 7 % 7 == 3 ? double.PositiveInfinity : 0.25 * (i % 5)).ToArray(),
            new Shape(1, 2, 7, 7));
        var w = Tensor.Zeros(new Shape(3, 2, 3, 3), DType.Float64);
        var g = Geometry(x, w, 1, "valid", 1, 1);
        var gradient = Normal(10, DType.Float64, g.OutputShape.ToArray());
        var expected = Tensor.Zeros(g.WeightShape, DType.Float64);
        var actual = Tensor.Zeros(g.WeightShape, DType.Float64);
        Conv2dOp.WeightBackwardPerSample<double>(x, gradient, expected, g);
        DirectConvolution.WeightGradient<double>(DirectConvolutionPlan.For<double>(g)!, x, gradient, actual, 1);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        Assert.Contains(e, double.IsFinite);
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i].Equals(a[i]) || Math.Abs(e[i] - a[i]) <= 1e-12 * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }
}
