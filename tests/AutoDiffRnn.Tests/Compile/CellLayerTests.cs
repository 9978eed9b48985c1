using AutoDiffRnn.Compile;

namespace AutoDiffRnn.Tests.Compile;

public class CellLayerTests
{
    [Fact]
    public void A_two_layer_peephole_layer_equals_recurrence_over_its_own_cells_and_names_its_parameters_per_layer()
    {
        var layer = new CellLayer("peephole", 4, 3, numLayers: 2, DType.Float64, new Generator(3));
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(12, parameters.Count);
        Assert.Contains("peephole_forget_l1", parameters.Keys);
        var generator = new Generator(4);
        var inputs = Tensor.Normal(new Shape(5, 2, 4), dtype: DType.Float64, generator: generator);
        var hidden = Tensor.Normal(new Shape(2, 2, 3), dtype: DType.Float64, generator: generator);
        var cell = Tensor.Normal(new Shape(2, 2, 3), dtype: DType.Float64, generator: generator);
        var result = layer.Forward(inputs, hidden, cell, [5, 3]);

        CompiledCell CellOf(int l) => ExampleCell.FromParameters("peephole",
            ExampleCell.ParameterNames("peephole").Select(name => parameters[$"{name}_l{l}"]).ToArray()).Compile(compile: false);
        var expected = Recurrence.Run([new RecurrenceLayer(CellOf(0)), new RecurrenceLayer(CellOf(1))], inputs,
            [[hidden.Select(0, 0), cell.Select(0, 0)], [hidden.Select(0, 1), cell.Select(0, 1)]], [5, 3]);
        AssertClose(expected.Output, result.Output);
        AssertClose(Tensor.Stack([expected.FinalStates[0][0], expected.FinalStates[1][0]], 0), result.Hidden);
        AssertClose(Tensor.Stack([expected.FinalStates[0][1], expected.FinalStates[1][1]], 0), result.Cell!);
    }

    [Fact]
    public void Bad_cells_and_states_are_refused_naming_the_cell_and_the_shapes()
    {
        var unknown = Assert.Throws<ArgumentException>(() => new CellLayer("transformer", 4, 3));
        Assert.Contains("'transformer'", unknown.Message);
        var layer = new CellLayer("mgu", 4, 3, dtype: DType.Float64);
        var inputs = Tensor.Zeros(new Shape(5, 2, 4), DType.Float64);
        var wrongInput = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(new Shape(5, 2, 6), DType.Float64)));
        Assert.Contains("[5,2,6]", wrongInput.Message);
        var wrongHidden = Assert.Throws<ArgumentException>(() => layer.Forward(inputs, Tensor.Zeros(new Shape(2, 2, 3), DType.Float64)));
        Assert.Contains("[1,2,3]", wrongHidden.Message);
        var cellState = Assert.Throws<ArgumentException>(() => layer.Forward(inputs, null, Tensor.Zeros(new Shape(1, 2, 3), DType.Float64)));
        Assert.Contains("mgu", cellState.Message);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double largest = expected.ToDoubleArray().Zip(actual.ToDoubleArray(), (x, y) => Math.Abs(x - y)).Max();
        Assert.True(largest <= 1e-12, $"largest difference {largest:E3}");
    }
}
