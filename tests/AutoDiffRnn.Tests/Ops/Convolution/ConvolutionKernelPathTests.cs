using AutoDiffRnn.Kernels;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops.Convolution;

/// <summary>
/// The convolution's kernel paths agree: the weight gradient as one batch-wide GEMM and per sample (used above
/// <c>BatchColumnsLimit</c>), serial and split over the cores, with pointwise kernels that skip im2col.
/// </summary>
public class ConvolutionKernelPathTests
{
    private static (double[] Input, double[] Weight, double[] Bias) Gradients(Tensor x, Tensor w, Tensor b, int stride, Padding padding, int groups)
    {
        var input = x.Detach().SetRequiresGrad();
        var weight = w.Detach().SetRequiresGrad();
        var bias = b.Detach().SetRequiresGrad();
        var y = Tensor.Conv2d(input, weight, bias, stride, padding, 1, groups);
        (y * Random64.Normal(99, y.Shape.ToArray())).Sum().Backward();
        return (input.Grad!.ToDoubleArray(), weight.Grad!.ToDoubleArray(), bias.Grad!.ToDoubleArray());
    }

    [Theory]
    [InlineData(3, 3, 1, 1)]
    [InlineData(2, 3, 2, 2)]
    [InlineData(4, 1, 1, 0)]
    public void BatchedAndPerSampleWeightGradientsAgree(int batch, int kernel, int stride, int padding)
    {
        var x = Random64.Normal(1, batch, 4, 7, 6);
        var w = Random64.Normal(2, 6, 2, kernel, kernel);
        var b = Random64.Normal(3, 6);
        var batched = Gradients(x, w, b, stride, padding, 2);
        var perSampleTuning = KernelTuning.Current with { ConvolutionBatchColumnsLimit = 0 };
        (double[] Input, double[] Weight, double[] Bias) perSample, serial;
        using (KernelTuning.Use(perSampleTuning with { ConvolutionParallelThreshold = 0 })) // every sample path split over the cores
            perSample = Gradients(x, w, b, stride, padding, 2);
        using (KernelTuning.Use(perSampleTuning with { ConvolutionParallelThreshold = long.MaxValue })) // and serial
            serial = Gradients(x, w, b, stride, padding, 2);
        foreach (var other in new[] { perSample, serial })
        {
            TensorAssert.Close(batched.Weight, Tensor.FromArray(other.Weight), 1e-12);
            TensorAssert.Close(batched.Input, Tensor.FromArray(other.Input), 1e-12);
            TensorAssert.Close(batched.Bias, Tensor.FromArray(other.Bias), 1e-12);
        }
    }
}
