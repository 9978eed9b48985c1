using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// Every op on tensors with a zero-size dimension, forward and backward, in both types: it returns the empty result PyTorch
/// returns, and never reaches a span kernel with an empty span (TensorPrimitives refuses some) or divides by a zero size.
/// The calls come from the op table's rows (<see cref="OpSpec.Empty"/>), so a new row is swept as soon as it says how.
/// </summary>
public class EmptyTensorSweepTests
{
    /// <summary>The table's calls, by "row: form", and the public forms that record no op.</summary>
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Calls = BuildCalls();

    private static Dictionary<string, Func<Tensor, Tensor>> BuildCalls()
    {
        var calls = OpTable.EmptyCalls().ToDictionary(call => $"{call.Row}: {call.Form}", call => (Func<Tensor, Tensor>)call.Apply.Invoke);
        calls["clone (records no op)"] = x => x.Clone();
        return calls;
    }

    public static TheoryData<string, int[], DType> Cases()
    {
        var data = new TheoryData<string, int[], DType>();
        foreach (var call in Calls.Keys)
            foreach (var shape in new[] { new[] { 0 }, new[] { 2, 0 }, new[] { 0, 3 } })
                foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                    data.Add(call, shape, dtype);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpsOnEmptyTensorsGiveEmptyResultsAndGradients(string call, int[] shape, DType dtype)
    {
        var x = Tensor.Zeros(new Shape(shape), dtype).SetRequiresGrad();
        var y = Calls[call](x);
        double total = y.Sum().To(DType.Float64).ToScalar();
        Assert.True(total == 0 || y.ElementCount > 0, $"{call}: an empty input summed to {total}");
        if (!y.RequiresGrad) return;
        y.Sum().Backward();
        Assert.Equal(x.Shape, x.Grad!.Shape);
    }

    [Fact]
    public void EveryRowSaysHowTheSweepMeetsIt() =>
        Assert.True(OpTable.WithoutEmptyCases().IsEmpty,
            $"rows of OpTable that neither give empty-tensor calls (OpSpec.onEmpty) nor say why not (OpSpec.notSweptOnEmpty): {string.Join(", ", OpTable.WithoutEmptyCases())}");

    [Fact]
    public void EveryOperationIsRecordedBySomeCall()
    {
        // forward, and backward as a function of the upstream gradient (createGraph), so the ops that run only in a backward
        // pass (narrow_backward, conv2d_input_grad, …) count too: a row whose calls never reach its op would leave it out
        var recorded = new HashSet<string>();
        foreach (var call in Calls.Values)
            foreach (var shape in new[] { new[] { 0 }, new[] { 2, 0 }, new[] { 0, 3 } })
            {
                var x = Tensor.Zeros(new Shape(shape), DType.Float64).SetRequiresGrad();
                var y = call(x);
                recorded.UnionWith(GradCheck.RecordedOperations(y));
                if (!y.RequiresGrad) continue;
                y.Backward(Tensor.Zeros(y.Shape, y.DType).SetRequiresGrad(), createGraph: true);
                recorded.UnionWith(GradCheck.RecordedOperations(x.Grad!));
            }
        var missing = Operations.Names.Where(name => !recorded.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"operations no empty-tensor call records, forward or backward: {string.Join(", ", missing)}");
    }

    [Fact]
    public void CreationRefusesCountsThatDoNotFitAndNamesTheOp()
    {
        Assert.StartsWith("arange:", Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1e10)).Message);
        Assert.Equal(0, Tensor.Arange(3, 3).ElementCount);
        Assert.StartsWith("FromArray:", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[3], new Shape(2, 2))).Message);
        Assert.Empty(Tensor.FromArray(new double[0, 4]).ToDoubleArray());
    }
}
