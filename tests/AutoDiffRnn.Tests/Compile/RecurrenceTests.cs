using AutoDiffRnn.Compile;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Compile;

public class RecurrenceTests
{
    private const int Steps = 5, Batch = 3, Input = 4, Hidden = 3;
    private static readonly int[] Lengths = [5, 2, 4];

    public static TheoryData<string> Cells => new(ExampleCell.Names);

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_compiled_cell_over_a_sequence_with_lengths_equals_the_eager_cell_in_values_and_every_gradient(string name)
    {
        var cell = ExampleCell.Create(name, Input, Hidden, DType.Float64, new Generator(11));
        var (_, state) = cell.Arguments(Batch, Input, Hidden, DType.Float64, new Generator(5));
        var inputs = Tensor.Normal(new Shape(Steps, Batch, Input), dtype: DType.Float64, generator: new Generator(21));
        Func<Tensor[], Tensor[]> Run(CompiledCell compiled) => a =>
        {
            var result = Recurrence.Run(compiled, a[0], a[1..], Lengths);
            return [result.Output, .. result.FinalStates[0]];
        };
        Tensor[] arguments = [inputs, .. state];
        var eager = CompiledComparison.Run(Run(cell.Compile(compile: false)), arguments, cell.Parameters);
        var compiledCell = cell.Compile();
        var compiled = CompiledComparison.Run(Run(compiledCell), arguments, cell.Parameters);
        Assert.Null(compiledCell.FallbackReason);
        CompiledComparison.AssertClose(eager, compiled, 1e-12, name);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_compiled_cell_over_a_sequence_passes_the_finite_difference_gradient_check(string name)
    {
        var cell = ExampleCell.Create(name, 2, 2, DType.Float64, new Generator(11));
        var (_, state) = cell.Arguments(2, 2, 2, DType.Float64, new Generator(5));
        var inputs = Tensor.Normal(new Shape(3, 2, 2), dtype: DType.Float64, generator: new Generator(4));
        int stateCount = state.Length;
        GradientAssert.MatchesFiniteDifferences(values =>
        {
            var compiled = ExampleCell.FromParameters(name, values[(1 + stateCount)..]).Compile();
            var result = Recurrence.Run(compiled, values[0], values[1..(1 + stateCount)], [3, 2], reverse: true);
            return Tensor.Concat([result.Output.Reshape(-1), .. result.FinalStates[0].Select(s => s.Reshape(-1))], 0);
        }, [inputs, .. state, .. cell.Parameters.Select(parameter => parameter.Detach().Clone())]);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void Two_bidirectional_layers_of_compiled_cells_equal_the_built_in_layer_with_lengths(RecurrentKind kind)
    {
        var layer = new RecurrentLayer(kind, Input, Hidden, numLayers: 2, bidirectional: true, dtype: DType.Float64, generator: new Generator(8));
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        string cellName = kind == RecurrentKind.Lstm ? "lstm" : "gru";
        CompiledCell CellOf(string suffix) => ExampleCell.FromParameters(cellName,
            [parameters["weight_ih" + suffix], parameters["weight_hh" + suffix], parameters["bias_ih" + suffix], parameters["bias_hh" + suffix]]).Compile();
        var layers = new[] { new RecurrenceLayer(CellOf("_l0"), CellOf("_l0_reverse")), new RecurrenceLayer(CellOf("_l1"), CellOf("_l1_reverse")) };
        var generator = new Generator(30);
        var inputs = Tensor.Normal(new Shape(Steps, Batch, Input), dtype: DType.Float64, generator: generator);
        var hidden = Tensor.Normal(new Shape(4, Batch, Hidden), 0, 0.5, DType.Float64, generator);
        var cell = Tensor.Normal(new Shape(4, Batch, Hidden), 0, 0.5, DType.Float64, generator);
        var states = Enumerable.Range(0, 4)
            .Select(k => kind == RecurrentKind.Lstm ? new[] { hidden.Select(0, k), cell.Select(0, k) } : [hidden.Select(0, k)]).ToList();

        var expected = layer.Forward(inputs, hidden, kind == RecurrentKind.Lstm ? cell : null, Lengths);
        var actual = Recurrence.Run(layers, inputs, states, Lengths);

        AssertClose(expected.Output, actual.Output);
        AssertClose(expected.Hidden, Tensor.Stack(actual.FinalStates.Select(s => s[0]).ToArray(), 0));
        if (kind == RecurrentKind.Lstm) AssertClose(expected.Cell!, Tensor.Stack(actual.FinalStates.Select(s => s[1]).ToArray(), 0));
    }

    [Fact]
    public void Bad_lengths_and_inputs_are_refused_naming_the_cell_and_the_shapes()
    {
        var cell = ExampleCell.Create("gru", Input, Hidden, DType.Float64, new Generator(11)).Compile();
        var inputs = Tensor.Zeros(new Shape(Steps, Batch, Input), DType.Float64);
        var state = new[] { Tensor.Zeros(new Shape(Batch, Hidden), DType.Float64) };
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => Recurrence.Run(cell, inputs, state, [1, 6, 2]));
        Assert.Contains("length 6 of sequence 1", tooLong.Message);
        var wrongCount = Assert.Throws<ArgumentException>(() => Recurrence.Run(cell, inputs, state, [1, 2]));
        Assert.Contains("2 lengths for a batch of 3", wrongCount.Message);
        var flat = Assert.Throws<ArgumentException>(() => Recurrence.Run(cell, inputs.Reshape(Steps * Batch, Input), state));
        Assert.Contains("[15,4]", flat.Message);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double largest = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(largest <= 1e-12, $"largest difference {largest:E3}");
    }
}
