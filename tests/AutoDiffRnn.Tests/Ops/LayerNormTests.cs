using AutoDiffRnn.Compile;
using AutoDiffRnn.Tests.Compile;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Ops;

public class LayerNormTests
{
    /// <summary>The definition written with public ops: (v − mean) / sqrt(var + 1e-5) · gain + bias.</summary>
    private static Tensor Composed(Tensor v, Tensor gain, Tensor bias)
    {
        var centered = v - v.Mean(-1, keepDim: true);
        var variance = (centered * centered).Mean(-1, keepDim: true);
        return centered / (variance + 1e-5).Sqrt() * gain + bias;
    }

    private static Tensor[] Draw(int rows, int features, ulong seed)
    {
        var generator = new Generator(seed);
        return
        [
            Tensor.Normal(new Shape(2, rows, features), 0.5, 2.0, DType.Float64, generator),
            Tensor.Uniform(new Shape(features), 0.5, 1.5, DType.Float64, generator),
            Tensor.Normal(new Shape(features), dtype: DType.Float64, generator: generator),
        ];
    }

    [Theory]
    [InlineData(3, 5, 1UL)]
    [InlineData(1, 1, 2UL)]
    [InlineData(4, 16, 3UL)]
    public void Values_and_gradients_equal_the_composed_formula(int rows, int features, ulong seed)
    {
        var inputs = Draw(rows, features, seed);
        var composed = CompiledComparison.Run(a => [Composed(a[0], a[1], a[2])], inputs, []);
        var op = CompiledComparison.Run(a => [Tensor.LayerNorm(a[0], a[1], a[2])], inputs, []);
        CompiledComparison.AssertClose(composed, op, 1e-12, "layer_norm");
    }

    [Fact]
    public void Gradients_match_finite_differences_with_and_without_weight_and_bias()
    {
        var inputs = Draw(3, 4, 5);
        GradientAssert.MatchesFiniteDifferences(a => Tensor.LayerNorm(a[0], a[1], a[2]), inputs);
        GradientAssert.MatchesFiniteDifferences(a => Tensor.LayerNorm(a[0], a[1]), inputs[..2]);
        GradientAssert.MatchesFiniteDifferences(a => Tensor.LayerNorm(a[0], bias: a[1]), [inputs[0], inputs[2]]);
        GradientAssert.MatchesFiniteDifferences(a => Tensor.LayerNorm(a[0], epsilon: 0.1), inputs[..1]);
    }

    [Fact]
    public void Gradients_of_gradients_equal_those_of_the_composed_formula()
    {
        var inputs = Draw(2, 5, 7);
        double[] SecondOrder(Func<Tensor[], Tensor> function)
        {
            var leaves = inputs.Select(x => x.Detach().Clone().SetRequiresGrad()).ToArray();
            var output = function(leaves);
            (output * Tensor.Normal(output.Shape, dtype: DType.Float64, generator: new Generator(9))).Sum().Backward(createGraph: true);
            var first = leaves.Select(leaf => leaf.Grad!).ToArray();
            foreach (var leaf in leaves) leaf.ZeroGrad();
            (first[0] * first[0]).Sum().Backward();
            return leaves.SelectMany(leaf => leaf.Grad?.ToDoubleArray() ?? new double[leaf.ElementCount]).ToArray();
        }
        var composed = SecondOrder(a => Composed(a[0], a[1], a[2]));
        var op = SecondOrder(a => Tensor.LayerNorm(a[0], a[1], a[2]));
        CompiledComparison.AssertClose([composed], [op], 1e-10, "layer_norm second order");
    }

    [Fact]
    public void A_weight_of_the_wrong_size_is_refused_naming_the_op_and_both_shapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(Tensor.Zeros(new Shape(2, 4)), Tensor.Ones(new Shape(3))));
        Assert.Contains("layer_norm", error.Message);
        Assert.Contains("[2,4]", error.Message);
        Assert.Contains("[3]", error.Message);
        var epsilon = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.LayerNorm(Tensor.Zeros(new Shape(2, 4)), epsilon: -1));
        Assert.Contains("epsilon", epsilon.Message);
    }

    [Fact]
    public void A_compiled_cell_runs_layer_norm_inside_its_fused_region_with_the_eager_values()
    {
        var inputs = Draw(3, 6, 11);
        var weight = inputs[1].Detach().Clone().SetRequiresGrad();
        var compiled = Compiled.Cell((x, s) => [(Tensor.LayerNorm(x, weight, null) + s[0]).Tanh()], "ln-cell");
        var state = Tensor.Normal(new Shape(2, 3, 6), dtype: DType.Float64, generator: new Generator(12));
        var eager = CompiledComparison.Run(a => compiled.StepEagerly(a[0], a[1]), [inputs[0], state], [weight]);
        var fast = CompiledComparison.Run(a => compiled.Step(a[0], a[1]), [inputs[0], state], [weight]);
        Assert.Null(compiled.FallbackReason);
        var plan = compiled.Describe(inputs[0], state);
        Assert.DoesNotContain("eager layer_norm", plan);
        Assert.Contains("Normalize", plan);
        CompiledComparison.AssertClose(eager, fast, 1e-12, "ln-cell");
    }
}
