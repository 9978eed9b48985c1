using AutoDiffRnn.Compile;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Compile;

/// <summary>
/// layer_norm inside a fused region: the row's mean and variance are a reduction within the row, so a cell that normalises (its gates,
/// a narrowed gate block, its cell state) stays one region, forward and backward, instead of running the op eagerly per step.
/// </summary>
public class FusedLayerNormTests
{
    private const int Batch = 3, Input = 5, Hidden = 6, Steps = 4;

    /// <summary>
    /// A cell with every form of layer_norm: without weight and bias on a narrowed gate block, with a weight only and another ε on a
    /// computed value, and with both on a product of the two.
    /// </summary>
    private sealed class NormalisingCell
    {
        public Tensor[] Parameters { get; }

        public NormalisingCell(ulong seed)
        {
            var generator = new Generator(seed);
            Parameters =
            [
                Tensor.Uniform(new Shape(2 * Hidden, Input), -1, 1, DType.Float64, generator).SetRequiresGrad(),
                Tensor.Uniform(new Shape(2 * Hidden, Hidden), -1, 1, DType.Float64, generator).SetRequiresGrad(),
                Tensor.Uniform(new Shape(Hidden), 0.5, 1.5, DType.Float64, generator).SetRequiresGrad(),
                Tensor.Uniform(new Shape(Hidden), -0.5, 0.5, DType.Float64, generator).SetRequiresGrad(),
            ];
        }

        public static Tensor[] Step(Tensor[] p, Tensor x, Tensor[] s)
        {
            var gates = (Tensor.Linear(x, p[0], null) + Tensor.Linear(s[0], p[1], null)).Chunk(2, 1);
            var plain = Tensor.LayerNorm(gates[0]);
            var scaled = Tensor.LayerNorm(gates[1].Tanh(), p[2], null, 1e-3);
            var affine = Tensor.LayerNorm(plain * scaled, p[2], p[3]);
            return [affine.Sigmoid() * s[0] + plain * 0.5];
        }

        public CompiledCell Compile(bool compile = true) => Compiled.Cell((x, s) => Step(Parameters, x, s), "normalising", compile);
    }

    private static (Tensor Input, Tensor State) Arguments(ulong seed)
    {
        var generator = new Generator(seed);
        return (Tensor.Normal(new Shape(Batch, Input), dtype: DType.Float64, generator: generator),
            Tensor.Normal(new Shape(Batch, Hidden), 0, 0.5, DType.Float64, generator));
    }

    [Fact]
    public void Every_layer_norm_of_a_cell_runs_inside_its_one_fused_region()
    {
        var (x, h) = Arguments(5);
        var plan = new NormalisingCell(11).Compile().Describe(x, h);
        var lines = plan.Split('\n');
        Assert.DoesNotContain(lines, line => line.Contains("eager layer_norm"));
        var region = Assert.Single(lines, line => line.Contains("fused region"));
        Assert.Equal(3, region.Split(' ', '(', ')').Count(word => word == "Normalize"));
    }

    [Fact]
    public void The_layer_normalised_lstm_runs_no_op_eagerly_per_step()
    {
        var cell = ExampleCell.Create("layernorm-lstm", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var plan = cell.Compile().DescribeSequence(x, state);
        Assert.DoesNotContain("per step: eager", plan);
        Assert.DoesNotContain("hoisted over all steps: layer_norm", plan); // all three normalisations run in the step's fused region
        var region = Assert.Single(plan.Split('\n'), line => line.Contains("per step: fused region"));
        Assert.Equal(3, region.Split(' ', '(', ')').Count(word => word == "Normalize"));
    }

    [Fact]
    public void A_compiled_step_equals_the_eager_step_in_values_and_every_gradient()
    {
        var cell = new NormalisingCell(11);
        var (x, h) = Arguments(5);
        var compiled = cell.Compile();
        var eager = CompiledComparison.Run(a => cell.Compile(compile: false).Step(a[0], a[1]), [x, h], cell.Parameters);
        var fast = CompiledComparison.Run(a => compiled.Step(a[0], a[1]), [x, h], cell.Parameters);
        Assert.Null(compiled.FallbackReason);
        CompiledComparison.AssertClose(eager, fast, 1e-12, "normalising cell");
    }

    [Fact]
    public void A_compiled_step_passes_the_finite_difference_check_for_arguments_and_parameters()
    {
        var cell = new NormalisingCell(11);
        var (x, h) = Arguments(5);
        string? fallback = "not run";
        GradientAssert.MatchesFiniteDifferences(values =>
        {
            var compiled = Compiled.Cell((input, s) => NormalisingCell.Step(values[2..], input, s), "normalising");
            var output = compiled.Step(values[0], values[1])[0];
            fallback = compiled.FallbackReason;
            return output;
        }, [x, h, .. cell.Parameters.Select(parameter => parameter.Detach().Clone())]);
        Assert.Null(fallback);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Over_a_sequence_with_lengths_it_equals_the_eager_cell(bool reverse)
    {
        var cell = new NormalisingCell(11);
        var (_, h) = Arguments(5);
        var inputs = Tensor.Normal(new Shape(Steps, Batch, Input), dtype: DType.Float64, generator: new Generator(21));
        Func<Tensor[], Tensor[]> Run(bool compile) => a =>
        {
            var result = Recurrence.Run(cell.Compile(compile), a[0], [a[1]], [4, 0, 2], reverse);
            return [result.Output, .. result.FinalStates[0]];
        };
        var eager = CompiledComparison.Run(Run(false), [inputs, h], cell.Parameters);
        var compiled = CompiledComparison.Run(Run(true), [inputs, h], cell.Parameters);
        CompiledComparison.AssertClose(eager, compiled, 1e-12, $"normalising cell over a sequence, reverse {reverse}");
        Assert.DoesNotContain("per step: eager", cell.Compile().DescribeSequence(inputs.Select(0, 0), h));
    }
}
