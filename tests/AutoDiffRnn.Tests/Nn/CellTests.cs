using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn;

/// <summary>Cells against PyTorch's equations written out element by element with plain doubles.</summary>
public class CellTests
{
    private const int Batch = 2, Input = 3, Hidden = 4;
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>Row r of W x + b for every batch entry, computed with loops: pre[b][r].</summary>
    private static double[][] Affine(double[] weight, double[]? bias, double[] x, int rows, int columns) =>
        Enumerable.Range(0, x.Length / columns).Select(b => Enumerable.Range(0, rows).Select(r =>
        {
            double sum = bias?[r] ?? 0;
            for (int c = 0; c < columns; c++) sum += weight[r * columns + c] * x[b * columns + c];
            return sum;
        }).ToArray()).ToArray();

    private static (double[][] FromInput, double[][] FromHidden) Preactivations(RecurrentCell cell, Tensor x, Tensor h, int gates) => (
        Affine(cell.WeightIh.ToDoubleArray(), cell.BiasIh?.ToDoubleArray(), x.ToDoubleArray(), gates * Hidden, Input),
        Affine(cell.WeightHh.ToDoubleArray(), cell.BiasHh?.ToDoubleArray(), h.ToDoubleArray(), gates * Hidden, Hidden));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LstmCellFollowsPyTorchsEquationsAndGateOrder(bool bias)
    {
        var cell = new LstmCell(Input, Hidden, bias, DType.Float64, new Generator(1));
        var x = Random64.Normal(2, Batch, Input);
        var h = Random64.Normal(3, Batch, Hidden);
        var c = Random64.Normal(4, Batch, Hidden);
        var (nextH, nextC) = cell.Forward(x, (h, c));
        var (gi, gh) = Preactivations(cell, x, h, 4);
        var cPrev = c.ToDoubleArray();
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < Hidden; j++)
            {
                double Gate(int k) => gi[b][k * Hidden + j] + gh[b][k * Hidden + j];
                double i = Sigmoid(Gate(0)), f = Sigmoid(Gate(1)), g = Math.Tanh(Gate(2)), o = Sigmoid(Gate(3));
                double cNew = f * cPrev[b * Hidden + j] + i * g;
                Assert.Equal(cNew, nextC[b, j], 12);
                Assert.Equal(o * Math.Tanh(cNew), nextH[b, j], 12);
            }
        Assert.Equal(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }.Take(bias ? 4 : 2), cell.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(4 * Hidden, Input), cell.WeightIh.Shape);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GruCellKeepsTheHiddenBiasInsideTheResetProduct(bool bias)
    {
        var cell = new GruCell(Input, Hidden, bias, DType.Float64, new Generator(5));
        var x = Random64.Normal(6, Batch, Input);
        var h = Random64.Normal(7, Batch, Hidden);
        var next = cell.Forward(x, h);
        var (gi, gh) = Preactivations(cell, x, h, 3);
        var hPrev = h.ToDoubleArray();
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < Hidden; j++)
            {
                double r = Sigmoid(gi[b][j] + gh[b][j]);
                double z = Sigmoid(gi[b][Hidden + j] + gh[b][Hidden + j]);
                double n = Math.Tanh(gi[b][2 * Hidden + j] + r * gh[b][2 * Hidden + j]);
                Assert.Equal((1 - z) * n + z * hPrev[b * Hidden + j], next[b, j], 12);
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RnnCellAppliesTanhOrRelu(bool relu)
    {
        var cell = new RnnCell(Input, Hidden, relu: relu, dtype: DType.Float64, generator: new Generator(8));
        var x = Random64.Normal(9, Batch, Input);
        var h = Random64.Normal(10, Batch, Hidden);
        var next = cell.Forward(x, h);
        var (gi, gh) = Preactivations(cell, x, h, 1);
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < Hidden; j++)
            {
                double pre = gi[b][j] + gh[b][j];
                Assert.Equal(relu ? Math.Max(0, pre) : Math.Tanh(pre), next[b, j], 12);
            }
    }

    [Fact]
    public void CellsStartFromZeroStateAndInitializeWithinTheBound()
    {
        var cell = new LstmCell(Input, Hidden, dtype: DType.Float64, generator: new Generator(11));
        var x = Random64.Normal(12, Batch, Input);
        var zero = Tensor.Zeros(new Shape(Batch, Hidden), DType.Float64);
        TensorAssert.Close(cell.Forward(x, (zero, zero)).Hidden, cell.Forward(x).Hidden);
        double bound = 1 / Math.Sqrt(Hidden);
        Assert.All(cell.Parameters().SelectMany(p => p.ToDoubleArray()), v => Assert.InRange(v, -bound, bound));
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => cell.Forward(Random64.Normal(1, Batch, Input + 1))).Message);
    }

    [Fact]
    public void CellGradientsMatchFiniteDifferences()
    {
        var x = Random64.Normal(13, Batch, Input).SetRequiresGrad();
        var h = Random64.Normal(14, Batch, Hidden).SetRequiresGrad();
        var c = Random64.Normal(15, Batch, Hidden).SetRequiresGrad();
        var lstm = new LstmCell(Input, Hidden, dtype: DType.Float64, generator: new Generator(16));
        LeafGradientAssert.MatchesFiniteDifferences(() => { var (hn, cn) = lstm.Forward(x, (h, c)); return Tensor.Concat([hn, cn], 1); },
            [.. lstm.NamedParameters(), ("x", x), ("h", h), ("c", c)]);
        var gru = new GruCell(Input, Hidden, dtype: DType.Float64, generator: new Generator(17));
        LeafGradientAssert.MatchesFiniteDifferences(() => gru.Forward(x, h), [.. gru.NamedParameters(), ("x", x), ("h", h)]);
        var rnn = new RnnCell(Input, Hidden, relu: true, dtype: DType.Float64, generator: new Generator(18));
        LeafGradientAssert.MatchesFiniteDifferences(() => rnn.Forward(x, h), [.. rnn.NamedParameters(), ("x", x), ("h", h)]);
    }
}
