using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Runtime;
using AutoDiffRnn.Onnx.Tests.Support;

namespace AutoDiffRnn.Onnx.Tests;

/// <summary>
/// Every configuration of the recurrent grid exported onto ONNX's RNN/LSTM/GRU operators: float32 through ONNX Runtime, float64 through the
/// reference evaluator (ONNX Runtime 1.32's CPU provider has no float64 recurrent kernels), both against AutoDiffRnn's forward.
/// </summary>
public class RecurrentGridTests
{
    /// <summary>The grid.</summary>
    public static TheoryData<RecurrentCase> Grid => RecurrentCase.GridData();

    [Theory]
    [MemberData(nameof(Grid))]
    public void Float32_graph_in_OnnxRuntime_matches_the_forward(RecurrentCase c)
    {
        var layer = c.Layer(DType.Float32);
        var x = c.Inputs(DType.Float32);
        var expected = c.Forward(layer, x);
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(OnnxExport.Recurrent(layer, c.Options(DType.Float32))));
        var outputs = session.Run(RecurrentCase.OrtInputs(x));
        AssertOutputs(c, expected, name => (outputs[name].ToDoubleArray(), outputs[name].Shape.ToArray()), 1e-5);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Float64_graph_in_the_reference_evaluator_matches_the_forward(RecurrentCase c)
    {
        var layer = c.Layer(DType.Float64);
        var x = c.Inputs(DType.Float64);
        var expected = c.Forward(layer, x);
        var model = OnnxExport.Recurrent(layer, c.Options(DType.Float64));
        Assert.All(model.Graph.Initializer.Where(i => i.DataType != OnnxElementType.Int64), i => Assert.Equal(OnnxElementType.Double, i.DataType));
        var outputs = ReferenceEvaluator.Run(model.Graph, RecurrentCase.ReferenceInputs(x));
        AssertOutputs(c, expected, name => (outputs[name].Data, outputs[name].Shape), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Reference_evaluator_agrees_with_OnnxRuntime_on_the_float32_graph(RecurrentCase c)
    {
        var layer = c.Layer(DType.Float32);
        var x = c.Inputs(DType.Float32);
        var model = OnnxExport.Recurrent(layer, c.Options(DType.Float32));
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(model));
        var runtime = session.Run(RecurrentCase.OrtInputs(x));
        var reference = ReferenceEvaluator.Run(model.Graph, RecurrentCase.ReferenceInputs(x));
        foreach (var name in runtime.Keys)
            Agreement.Close(runtime[name], reference[name], 1e-5, $"{c} {name}");
        Assert.Equal(c.Kind == RecurrentKind.Lstm ? 3 : 2, runtime.Count);
    }

    private static void AssertOutputs(RecurrentCase c, RecurrentOutput expected, Func<string, (double[] Values, int[] Shape)> output, double tolerance)
    {
        foreach (var (name, tensor) in new[] { ("output", expected.Output), ("h_n", expected.Hidden), ("c_n", expected.Cell) })
        {
            if (tensor is null) continue;
            var (values, shape) = output(name);
            Agreement.Close(tensor, values, shape, tolerance, $"{c} {name}");
        }
    }
}
