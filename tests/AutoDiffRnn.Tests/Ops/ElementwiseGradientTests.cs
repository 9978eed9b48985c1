namespace AutoDiffRnn.Tests.Ops;

/// <summary>
/// sigmoid, tanh and relu compute a first-order backward pass with one fused kernel (one new tensor instead of three), and a recorded
/// one (<c>createGraph</c>) with their formula on tensor ops, so that it can be differentiated again. Both must give the same gradient,
/// bit for bit: the kernel computes the formula operation for operation. 37 elements: whole vectors and a scalar tail.
/// </summary>
public class ElementwiseGradientTests
{
    public static TheoryData<string, DType> Cases => new()
    {
        { "sigmoid", DType.Float32 }, { "sigmoid", DType.Float64 },
        { "tanh", DType.Float32 }, { "tanh", DType.Float64 },
        { "relu", DType.Float32 }, { "relu", DType.Float64 },
    };

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "sigmoid" => x.Sigmoid(),
        "tanh" => x.Tanh(),
        _ => x.Relu(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheFusedFirstOrderGradientEqualsTheRecordedFormulaBitForBit(string op, DType dtype)
    {
        var values = Tensor.Normal(new Shape(37), 0, 3, dtype, new Generator(17)).ToDoubleArray();
        values[3] = 0; // relu's kink: gradient 0 there
        var x = Tensor.FromArray(values, new Shape(37), dtype).SetRequiresGrad();
        var outputGradient = Tensor.Normal(new Shape(37), dtype: dtype, generator: new Generator(18));

        Apply(op, x).Backward(outputGradient);
        var fused = x.Grad!.ToDoubleArray();
        x.ZeroGrad();
        Apply(op, x).Backward(outputGradient, createGraph: true);
        var recorded = x.Grad!.ToDoubleArray();

        Assert.Equal(recorded, fused);
        Assert.Contains(fused, value => value != 0);
    }

    [Fact]
    public void TheRecordedGradientCanBeDifferentiatedAgain()
    {
        // d/dx of the gradient of Σ sigmoid(x): σ'(x) = s(1 − s), σ''(x) = s(1 − s)(1 − 2s)
        var x = Tensor.FromArray([-1.5, 0.25, 2.0]).SetRequiresGrad();
        x.Sigmoid().Sum().Backward(createGraph: true);
        var gradient = x.Grad!;
        x.Grad = null;
        gradient.Sum().Backward();
        var expected = x.ToDoubleArray().Select(v =>
        {
            double s = 1 / (1 + Math.Exp(-v));
            return s * (1 - s) * (1 - 2 * s);
        }).ToArray();
        Assert.Equal(expected, x.Grad!.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }
}
