using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops.Convolution;

/// <summary>
/// The lecture notes' arithmetic: a 5×5 kernel over a 28×28 image gives 24×24, 2×2 pooling with stride 2 gives 12×12, the
/// max-pool gradient is the notes' up() rule and the mean-pool gradient the Kronecker product with a block of 1/4.
/// </summary>
public class LectureNotesTests
{
    [Fact]
    public void A5x5KernelOver28x28Gives24x24AndEachEntryIsTheWindowsWeightedSum()
    {
        var image = Random64.Normal(1, 1, 1, 28, 28);
        var kernel = Random64.Normal(2, 1, 1, 5, 5);
        var map = Tensor.Conv2d(image, kernel);
        Assert.Equal(new Shape(1, 1, 24, 24), map.Shape);
        double[] x = image.ToDoubleArray(), w = kernel.ToDoubleArray(), y = map.ToDoubleArray();
        foreach (var (row, column) in new[] { (0, 0), (23, 23), (7, 15), (20, 3) })
        {
            double sum = 0;
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 5; j++) sum += w[i * 5 + j] * x[(row + i) * 28 + column + j];
            Assert.Equal(sum, y[row * 24 + column], 12);
        }
    }

    [Fact]
    public void SameAndValidPaddingFollowTensorFlowsSizes()
    {
        var image = Random64.Normal(3, 1, 1, 28, 28);
        var kernel = Random64.Normal(4, 1, 1, 5, 5);
        Assert.Equal(new Shape(1, 1, 28, 28), Tensor.Conv2d(image, kernel, padding: Padding.Same).Shape);
        Assert.Equal(new Shape(1, 1, 24, 24), Tensor.Conv2d(image, kernel, padding: Padding.Valid).Shape);
        Assert.Equal(new Shape(1, 1, 14, 14), Tensor.Conv2d(image, kernel, stride: 2, padding: Padding.Same).Shape); // ⌈28/2⌉
        Assert.Equal(new Shape(1, 1, 12, 12), Tensor.Conv2d(image, kernel, stride: 2, padding: Padding.Valid).Shape); // ⌊(28−5)/2⌋+1
    }

    [Fact]
    public void SameWithStride2PadsTheOddZeroAfterAsTensorFlowDoes()
    {
        // 6 wide, kernel 3, stride 2: 3 outputs need (3−1)·2 + 3 − 6 = 1 zero, placed after (right / bottom)
        var x = Random64.Normal(5, 2, 3, 6, 6);
        var w = Random64.Normal(6, 4, 3, 3, 3);
        var same = Tensor.Conv2d(x, w, stride: 2, padding: Padding.Same);
        var explicitSides = Tensor.Conv2d(x, w, stride: 2, padding: Padding.PerSide(0, 1, 0, 1));
        Assert.Equal(new Shape(2, 4, 3, 3), same.Shape);
        TensorAssert.Close(explicitSides, same, 0);
    }

    [Fact]
    public void TwoByTwoPoolingWithStride2Halves24To12()
    {
        var map = Random64.Normal(7, 2, 16, 24, 24);
        Assert.Equal(new Shape(2, 16, 12, 12), map.MaxPool2d(2).Shape);
        Assert.Equal(new Shape(2, 16, 12, 12), map.AvgPool2d(2).Shape);
    }

    [Fact]
    public void MaxPoolGradientIsTheNotesUpRule()
    {
        var map = Random64.Normal(8, 1, 1, 24, 24).Detach().SetRequiresGrad();
        var pooled = map.MaxPool2d(2, 2);
        var upstream = Random64.Normal(9, 1, 1, 12, 12);
        (pooled * upstream).Sum().Backward();
        double[] x = map.ToDoubleArray(), g = upstream.ToDoubleArray(), grad = map.Grad!.ToDoubleArray();
        // up(): each pooled gradient copied to the position of its window's maximum, zero elsewhere
        var expected = new double[24 * 24];
        for (int r = 0; r < 12; r++)
            for (int c = 0; c < 12; c++)
            {
                int best = -1;
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++)
                    {
                        int k = (2 * r + i) * 24 + 2 * c + j;
                        if (best < 0 || x[k] > x[best]) best = k;
                    }
                expected[best] = g[r * 12 + c];
            }
        Assert.Equal(expected, grad);
    }

    [Fact]
    public void MeanPoolGradientIsTheKroneckerProductWithABlockOfAQuarter()
    {
        var map = Random64.Normal(10, 1, 1, 24, 24).Detach().SetRequiresGrad();
        var upstream = Random64.Normal(11, 1, 1, 12, 12);
        (map.AvgPool2d(2, 2) * upstream).Sum().Backward();
        double[] g = upstream.ToDoubleArray(), grad = map.Grad!.ToDoubleArray();
        for (int row = 0; row < 24; row++)
            for (int column = 0; column < 24; column++)
                Assert.Equal(g[row / 2 * 12 + column / 2] * 0.25, grad[row * 24 + column], 15); // (G ⊗ 1₂ₓ₂) / 4
    }

    [Fact]
    public void MaxPoolTiesSendTheGradientToTheFirstMaximumAsPyTorchDoes()
    {
        var x = Tensor.FromArray([1.0, 3.0, 3.0, 3.0], new Shape(1, 1, 2, 2)).SetRequiresGrad();
        x.MaxPool2d(2).Sum().Backward();
        Assert.Equal([0.0, 1.0, 0.0, 0.0], x.Grad!.ToDoubleArray());
    }
}
