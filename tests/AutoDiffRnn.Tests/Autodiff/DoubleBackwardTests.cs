using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Autodiff;

/// <summary>
/// Double backward: the gradient computed with <c>Backward(createGraph: true)</c> is itself differentiated to get a
/// Hessian-vector product H v, which is checked against central finite differences of the gradient along v:
/// (∇f(x + εv) − ∇f(x − εv)) / 2ε. Functions of several tensors are treated as one function of all of them together.
/// </summary>
public class DoubleBackwardTests
{
    private const double Step = 1e-5;
    private const double Tolerance = 1e-6;

    /// <summary>Fixed random weights, so that every output element of an op contributes to the scalar objective.</summary>
    private static Tensor Weights(ulong seed, params int[] shape) => Random64.Normal(seed, shape);

    [Fact]
    public void Tanh()
    {
        var w = Weights(100, 3, 4);
        AssertHessianVectorProduct(x => (x[0].Tanh() * w).Sum(), [Random64.Normal(1, 3, 4)]);
    }

    [Fact]
    public void Sigmoid()
    {
        var w = Weights(101, 3, 4);
        AssertHessianVectorProduct(x => (x[0].Sigmoid() * w).Sum(), [Random64.Normal(2, 3, 4) * 2.0]);
    }

    [Fact]
    public void Mul()
    {
        // Two inputs with broadcasting (the Hessian has only cross terms), and a product of a tensor with itself.
        var w = Weights(102, 3, 4);
        AssertHessianVectorProduct(x => (x[0] * x[1] * w).Sum(), [Random64.Normal(3, 3, 4), Random64.Normal(4, 4)]);
        AssertHessianVectorProduct(x => (x[0] * x[0] * x[0] * w).Sum(), [Random64.Normal(5, 3, 4)]);
    }

    [Fact]
    public void MatMul()
    {
        var w = Weights(103, 3, 5);
        AssertHessianVectorProduct(x => (Tensor.MatMul(x[0], x[1]) * w).Sum(), [Random64.Normal(6, 3, 4), Random64.Normal(7, 4, 5)]);
        var square = Weights(104, 4, 4);
        AssertHessianVectorProduct(x => (Tensor.MatMul(x[0], x[0], transposeB: true) * square).Sum(), [Random64.Normal(8, 4, 3)]);
    }

    [Fact]
    public void Exp()
    {
        var w = Weights(105, 3, 4);
        AssertHessianVectorProduct(x => (x[0].Exp() * w).Sum(), [Random64.Normal(9, 3, 4)]);
    }

    [Fact]
    public void Log()
    {
        var w = Weights(106, 3, 4);
        AssertHessianVectorProduct(x => (x[0].Log() * w).Sum(), [Random64.Uniform(10, 0.5, 2, 3, 4)]);
    }

    [Fact]
    public void TwoLayerNet()
    {
        // linear → tanh → linear → sum, differentiated twice with respect to the input and every parameter.
        Tensor[] point =
        [
            Random64.Normal(11, 4, 3),        // input [batch, in]
            Random64.Normal(12, 5, 3) * 0.5,  // first weight [hidden, in]
            Random64.Normal(13, 5) * 0.5,     // first bias [hidden]
            Random64.Normal(14, 2, 5) * 0.5,  // second weight [out, hidden]
            Random64.Normal(15, 2) * 0.5,     // second bias [out]
        ];
        AssertHessianVectorProduct(x => Tensor.Linear(Tensor.Linear(x[0], x[1], x[2]).Tanh(), x[3], x[4]).Sum(), point);
    }

    [Fact]
    public void SecondDerivativeOfTheNetIsNotZero()
    {
        // Guards the check above against passing trivially: H v of the net must be clearly nonzero.
        var x = Random64.Normal(11, 4, 3).SetRequiresGrad();
        var w1 = Random64.Normal(12, 5, 3);
        var w2 = Random64.Normal(14, 2, 5);
        Tensor.Linear(Tensor.Linear(x, w1, null).Tanh(), w2, null).Sum().Backward(createGraph: true);
        var gradient = x.Grad!;
        x.ZeroGrad();
        (gradient * Random64.Normal(16, 4, 3)).Sum().Backward();
        Assert.True(x.Grad!.ToDoubleArray().Max(Math.Abs) > 1e-2);
    }

    /// <summary>
    /// Asserts that H v from double backward at <paramref name="point"/> matches finite differences of the gradient
    /// along a fixed random direction v (one random tensor per input).
    /// </summary>
    private static void AssertHessianVectorProduct(Func<Tensor[], Tensor> function, Tensor[] point, ulong seed = 42)
    {
        var direction = point.Select((input, i) => Random64.Normal(seed + (ulong)i, input.Shape.ToArray())).ToArray();

        // First backward, recorded; then backward through the gradients (leaf gradients accumulate, so zero them first).
        var leaves = point.Select(input => input.Detach().Clone().SetRequiresGrad()).ToArray();
        function(leaves).Backward(createGraph: true);
        var gradients = leaves.Select(leaf => leaf.Grad ?? throw new InvalidOperationException("an input got no gradient")).ToArray();
        foreach (var leaf in leaves) leaf.ZeroGrad();
        var directional = gradients.Select((gradient, i) => (gradient * direction[i]).Sum()).Aggregate((a, b) => a + b);
        directional.Backward();
        var analytic = leaves.SelectMany((leaf, i) => leaf.Grad?.ToDoubleArray() ?? new double[point[i].ElementCount]).ToArray();

        var plus = Gradient(function, point.Select((input, i) => input + direction[i] * Step).ToArray());
        var minus = Gradient(function, point.Select((input, i) => input - direction[i] * Step).ToArray());
        var numeric = plus.Zip(minus, (p, m) => (p - m) / (2 * Step)).ToArray();

        Assert.True(numeric.Max(Math.Abs) > 1e-8, "the finite-difference Hessian-vector product is zero: the test would be vacuous");
        double error = GradientAssert.RelativeError(analytic, numeric);
        Assert.True(error < Tolerance,
            $"Hessian-vector product relative error {error:E3} exceeds {Tolerance:E1}\n" +
            $"double backward: [{string.Join(", ", analytic.Take(8).Select(v => v.ToString("G8")))}]\n" +
            $"finite differences: [{string.Join(", ", numeric.Take(8).Select(v => v.ToString("G8")))}]");
    }

    /// <summary>The gradient of the function at a point, all inputs' gradients concatenated (an ordinary backward pass).</summary>
    private static double[] Gradient(Func<Tensor[], Tensor> function, Tensor[] point)
    {
        var leaves = point.Select(input => input.Detach().Clone().SetRequiresGrad()).ToArray();
        function(leaves).Backward();
        return leaves.SelectMany((leaf, i) => leaf.Grad?.ToDoubleArray() ?? new double[point[i].ElementCount]).ToArray();
    }
}
