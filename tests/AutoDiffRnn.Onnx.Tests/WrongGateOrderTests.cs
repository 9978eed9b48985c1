using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Runtime;
using AutoDiffRnn.Onnx.Tests.Support;

namespace AutoDiffRnn.Onnx.Tests;

/// <summary>
/// The gate reordering is proven, not assumed: a graph written with PyTorch's gate order left as it is (or any other wrong order) must
/// fail the same comparison the grid passes, in ONNX Runtime and in the reference evaluator.
/// </summary>
public class WrongGateOrderTests
{
    public static TheoryData<RecurrentKind, int[]> WrongOrders => new()
    {
        { RecurrentKind.Lstm, [0, 1, 2, 3] }, // PyTorch's i, f, g, o written as if it were ONNX's i, o, f, c
        { RecurrentKind.Lstm, [0, 3, 2, 1] },
        { RecurrentKind.Gru, [0, 1, 2] },     // PyTorch's r, z, n written as ONNX's z, r, h
        { RecurrentKind.Gru, [1, 2, 0] },
    };

    [Theory]
    [MemberData(nameof(WrongOrders))]
    public void A_wrong_gate_order_fails_the_OnnxRuntime_comparison(RecurrentKind kind, int[] order)
    {
        var c = new RecurrentCase(kind, 2, true, true, true, true, false);
        var layer = c.Layer(DType.Float32);
        var x = c.Inputs(DType.Float32);
        var expected = c.Forward(layer, x);
        using var session = new OnnxRuntimeSession(OnnxExport.ToBytes(OnnxExport.Recurrent(layer, c.Options(DType.Float32), order)));
        var outputs = session.Run(RecurrentCase.OrtInputs(x));
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Agreement.Close(expected.Output, outputs["output"], 1e-5, "wrong order"));
        Assert.Contains("exceeds", failure.Message);
        Assert.True(Agreement.RelativeError(expected.Hidden, outputs["h_n"].ToDoubleArray(), outputs["h_n"].Shape.ToArray(), "h_n") > 1e-2);
    }

    [Theory]
    [MemberData(nameof(WrongOrders))]
    public void A_wrong_gate_order_fails_the_float64_reference_comparison(RecurrentKind kind, int[] order)
    {
        var c = new RecurrentCase(kind, 1, false, true, false, false, false);
        var layer = c.Layer(DType.Float64);
        var x = c.Inputs(DType.Float64);
        var expected = c.Forward(layer, x);
        var outputs = ReferenceEvaluator.Run(OnnxExport.Recurrent(layer, c.Options(DType.Float64), order).Graph, RecurrentCase.ReferenceInputs(x));
        Assert.True(Agreement.RelativeError(expected.Output, outputs["output"].Data, outputs["output"].Shape, "output") > 1e-3);
    }

    [Fact]
    public void The_gate_permutations_are_inverse_of_each_other()
    {
        foreach (var kind in new[] { RecurrentKind.RnnTanh, RecurrentKind.Lstm, RecurrentKind.Gru })
        {
            var forward = RecurrentGateLayout.OnnxFromPyTorch(kind);
            var inverse = RecurrentGateLayout.PyTorchFromOnnx(kind);
            Assert.Equal(Enumerable.Range(0, forward.Length), forward.Select(k => inverse[k]));
        }
        Assert.Equal([0, 3, 1, 2], RecurrentGateLayout.OnnxFromPyTorch(RecurrentKind.Lstm));
        Assert.Equal([1, 0, 2], RecurrentGateLayout.OnnxFromPyTorch(RecurrentKind.Gru));
    }
}
