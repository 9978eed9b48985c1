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
        Agreement.Close(expected.Output, outputs["output"], 1e-5, $"{c} output");
        Agreement.Close(expected.Hidden, outputs["h_n"], 1e-5, $"{c} h_n");
        if (c.Kind == RecurrentKind.Lstm) Agreement.Close(expected.Cell!, outputs["c_n"], 1e-5, $"{c} c_n");
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
        Agreement.Close(expected.Output, outputs["output"], 1e-12, $"{c} output");
        Agreement.Close(expected.Hidden, outputs["h_n"], 1e-12, $"{c} h_n");
        if (c.Kind == RecurrentKind.Lstm) Agreement.Close(expected.Cell!, outputs["c_n"], 1e-12, $"{c} c_n");
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
}
