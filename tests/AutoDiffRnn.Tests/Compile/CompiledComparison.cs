using AutoDiffRnn.Compile;

namespace AutoDiffRnn.Tests.Compile;

/// <summary>Runs a function of a cell compiled and eagerly on the same arguments and compares values and every gradient.</summary>
public static class CompiledComparison
{
    /// <summary>Values of the outputs, then gradients of the arguments and of the parameters, after a backward of Σ wₖ·outₖ.</summary>
    public static double[][] Run(Func<Tensor[], Tensor[]> function, Tensor[] arguments, Tensor[] parameters, ulong seed = 3)
    {
        foreach (var parameter in parameters) parameter.ZeroGrad();
        var leaves = arguments.Select(argument => argument.Detach().Clone().SetRequiresGrad()).ToArray();
        var outputs = function(leaves);
        var generator = new Generator(seed);
        Tensor? loss = null;
        foreach (var output in outputs)
        {
            var term = (output * Tensor.Normal(output.Shape, dtype: output.DType, generator: generator)).Sum();
            loss = loss is null ? term : loss + term;
        }
        loss!.Backward();
        var result = outputs.Select(output => output.ToDoubleArray())
            .Concat(leaves.Select(leaf => leaf.Grad?.ToDoubleArray() ?? new double[leaf.ElementCount]))
            .Concat(parameters.Select(parameter => parameter.Grad?.ToDoubleArray() ?? new double[parameter.ElementCount]))
            .ToArray();
        foreach (var parameter in parameters) parameter.ZeroGrad();
        return result;
    }

    /// <summary>
    /// A second-order quantity through <paramref name="run"/> (a function of the hidden state h giving an output): with g = ∂(Σ w·out)/∂h
    /// taken with <c>createGraph</c>, the gradients of Σ g² with respect to h and to the cell's second parameter.
    /// </summary>
    public static double[] SecondOrder(Func<Tensor, Tensor> run, Tensor hidden, Tensor[] parameters)
    {
        var h = hidden.Detach().Clone().SetRequiresGrad();
        var output = run(h);
        var weights = Tensor.Normal(output.Shape, dtype: DType.Float64, generator: new Generator(9));
        (output * weights).Sum().Backward(createGraph: true);
        var gradient = h.Grad!;
        h.ZeroGrad();
        foreach (var parameter in parameters) parameter.ZeroGrad();
        (gradient * gradient).Sum().Backward();
        var result = h.Grad!.ToDoubleArray().Concat(parameters[1].Grad!.ToDoubleArray()).ToArray();
        foreach (var parameter in parameters) parameter.ZeroGrad();
        return result;
    }

    /// <summary>Asserts that every array is equal to within <paramref name="tolerance"/> (absolute), naming the first that is not.</summary>
    public static void AssertClose(double[][] expected, double[][] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k].Length, actual[k].Length);
            double largest = 0;
            for (int i = 0; i < expected[k].Length; i++) largest = Math.Max(largest, Math.Abs(expected[k][i] - actual[k][i]));
            Assert.True(largest <= tolerance, $"{what}: array {k} differs by {largest:E3} (tolerance {tolerance:E1})");
        }
        Assert.Contains(expected, array => array.Any(value => value != 0)); // the comparison is not between zeros
    }
}
