using AutoDiffRnn.Compile;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Compile;

public class CompiledCellTests
{
    private const int Batch = 3, Input = 5, Hidden = 4;

    public static TheoryData<string> Cells => new(ExampleCell.Names);

    [Theory]
    [MemberData(nameof(Cells))]
    public void Compiled_step_equals_eager_step_in_values_and_every_gradient(string name)
    {
        var cell = ExampleCell.Create(name, Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var compiled = cell.Compile();
        Tensor[] arguments = [x, .. state];
        var eager = CompiledComparison.Run(a => cell.Step(a[0], a[1..]), arguments, cell.Parameters);
        var fast = CompiledComparison.Run(a => compiled.Step(a[0], a[1..]), arguments, cell.Parameters);
        Assert.Null(compiled.FallbackReason);
        CompiledComparison.AssertClose(eager, fast, 1e-12, name);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Compiled_step_passes_the_finite_difference_gradient_check_for_arguments_and_parameters(string name)
    {
        var cell = ExampleCell.Create(name, 3, 2, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(2, 3, 2, DType.Float64, new Generator(5));
        int stateCount = state.Length;
        string? fallback = "not run";
        // every evaluation builds the cell around the (perturbed) parameters and compiles it, so parameters are checked too
        GradientAssert.MatchesFiniteDifferences(values =>
        {
            var compiled = ExampleCell.FromParameters(name, values[(1 + stateCount)..]).Compile();
            var outputs = compiled.Step(values[0], values[1..(1 + stateCount)]);
            fallback = compiled.FallbackReason;
            return Tensor.Concat(outputs.Select(output => output.Reshape(-1)).ToArray(), 0);
        }, [x, .. state, .. cell.Parameters.Select(parameter => parameter.Detach().Clone())]);
        Assert.Null(fallback);
    }

    [Fact]
    public void The_lstm_compiles_to_two_products_and_one_fused_region()
    {
        var cell = ExampleCell.Create("lstm", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var plan = cell.Compile().Describe(x, state);
        Assert.Equal(2, CountLines(plan, "eager linear"));
        Assert.Equal(1, CountLines(plan, "fused region"));
        Assert.Contains("MultiplyAdd", plan); // c' = f c + i g: the product read only by the sum is fused into it
        Assert.Contains("4 captured parameters", plan);
    }

    [Fact]
    public void A_new_input_shape_compiles_again_and_a_known_one_does_not()
    {
        var cell = ExampleCell.Create("gru", Input, Hidden, DType.Float64, new Generator(11));
        var compiled = cell.Compile();
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        compiled.Step(x, state);
        compiled.Step(x, state);
        Assert.Equal(1, compiled.CompilationCount);
        var (wider, widerState) = cell.Arguments(Batch + 2, Input, Hidden, DType.Float64, new Generator(5));
        var outputs = compiled.Step(wider, widerState);
        Assert.Equal(2, compiled.CompilationCount);
        Assert.Equal(new Shape(Batch + 2, Hidden), outputs[0].Shape);
        var eager = cell.Step(wider, widerState);
        Assert.Equal(eager[0].ToDoubleArray(), outputs[0].ToDoubleArray());
    }

    [Fact]
    public void A_cell_with_an_op_the_compiler_does_not_know_runs_eagerly_and_says_why()
    {
        var generator = new Generator(3);
        var weight = Tensor.Uniform(new Shape(Hidden, Input), -0.5, 0.5, DType.Float64, generator).SetRequiresGrad();
        var compiled = Compiled.Cell((x, s) =>
        {
            var h = Tensor.Linear(x, weight, null).Tanh();
            return [Tensor.Where(h.Greater(0.0), h, s[0] * 0.5)];
        }, "where-cell");
        var input = Tensor.Normal(new Shape(Batch, Input), dtype: DType.Float64, generator: generator);
        var state = Tensor.Normal(new Shape(Batch, Hidden), dtype: DType.Float64, generator: generator);
        var eager = CompiledComparison.Run(a => compiled.StepEagerly(a[0], a[1]), [input, state], [weight]);
        var fast = CompiledComparison.Run(a => compiled.Step(a[0], a[1]), [input, state], [weight]);
        Assert.NotNull(compiled.FallbackReason);
        Assert.Contains("'where'", compiled.FallbackReason);
        CompiledComparison.AssertClose(eager, fast, 0, "where-cell");
    }

    [Fact]
    public void Each_call_records_one_node_on_the_tape()
    {
        var cell = ExampleCell.Create("mgu", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var output = cell.Compile().Step(x, state)[0];
        Assert.Equal("compiled_cell", output.GradFn!.OperationName);
        Assert.Equal(2 + cell.Parameters.Length, output.GradFn.Inputs.Count); // the input, the state, then the captured parameters
        Assert.Same(x, output.GradFn.Inputs[0]);
        Assert.Equal(cell.Parameters, output.GradFn.Inputs.Skip(2).OrderBy(p => Array.IndexOf(cell.Parameters, p)));
    }

    [Fact]
    public void Under_no_grad_nothing_is_recorded_and_values_match()
    {
        var cell = ExampleCell.Create("peephole", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        using var _ = AutoDiffRnn.Autodiff.GradMode.NoGrad();
        var compiled = cell.Compile().Step(x, state);
        var eager = cell.Step(x, state);
        Assert.All(compiled, output => Assert.Null(output.GradFn));
        for (int k = 0; k < eager.Length; k++) Assert.Equal(eager[k].ToDoubleArray(), compiled[k].ToDoubleArray());
    }

    [Fact]
    public void Gradients_of_gradients_fall_back_to_the_eager_graph()
    {
        var cell = ExampleCell.Create("gru", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        double[] SecondOrder(CompiledCell compiled) => CompiledComparison.SecondOrder(h => compiled.Step(x, h)[0], state[0], cell.Parameters);
        var eager = SecondOrder(cell.Compile(compile: false));
        var compiledResult = SecondOrder(cell.Compile());
        CompiledComparison.AssertClose([eager], [compiledResult], 1e-12, "second order");
    }

    [Fact]
    public void Arguments_of_different_element_types_are_refused_naming_both()
    {
        var cell = ExampleCell.Create("gru", Input, Hidden, DType.Float64, new Generator(11));
        var (x, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var error = Assert.Throws<ArgumentException>(() => cell.Compile().Step(x.To(DType.Float32), state));
        Assert.Contains("float32", error.Message);
        Assert.Contains("float64", error.Message);
    }

    private static int CountLines(string text, string fragment) => text.Split('\n').Count(line => line.Contains(fragment));
}
