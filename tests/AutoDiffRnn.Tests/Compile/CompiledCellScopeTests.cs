using AutoDiffRnn.Compile;

namespace AutoDiffRnn.Tests.Compile;

/// <summary>
/// A cell compiled on its first call inside a training step's <see cref="TensorScope"/> keeps working in the next steps' scopes: what
/// the trace and the compiler create once (the GRU's and the minimal gated unit's constant 1 of 1 − z) is not released with the first
/// step's tensors.
/// </summary>
public class CompiledCellScopeTests
{
    [Theory]
    [InlineData("gru")]
    [InlineData("mgu")]
    public void ACellCompiledInsideAScopeRunsAgainInTheNextScopes(string name)
    {
        var example = ExampleCell.Create(name, 3, 4, DType.Float64, new Generator(1));
        var cell = example.Compile();
        var input = Tensor.Normal(new Shape(5, 2, 3), dtype: DType.Float64, generator: new Generator(2));
        var state = new[] { Tensor.Zeros(new Shape(2, 4), DType.Float64) };
        var outputs = new List<double[]>();
        for (int step = 0; step < 3; step++)
        {
            using var scope = TensorScope.Begin();
            foreach (var parameter in example.Parameters) parameter.ZeroGrad();
            var output = Recurrence.Run(cell, input, state).Output;
            output.Sum().Backward();
            outputs.Add(output.ToDoubleArray());
        }
        Assert.Equal(1, cell.CompilationCount);
        Assert.Null(cell.FallbackReason);
        Assert.Equal(outputs[0], outputs[2]);
        Assert.NotNull(example.Parameters[0].Grad);
    }
}
