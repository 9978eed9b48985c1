using AutoDiffRnn.FSharp;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Tensors;

/// <summary>
/// Ops that rent their output storage without clearing it (every element is written by their kernel) leave nothing of the array's
/// previous contents: before the op, and again before its backward pass, the pool is handed arrays of the lengths the call may rent
/// (its output's and its inputs') filled with NaN, and the op's result and the gradients of its inputs, from finite inputs, must be
/// finite. An op that skipped an element would show a NaN. The cases are the op table's (<see cref="OpTable"/>): every op, several
/// seeded draws of shapes (odd sizes and broadcasts among them, so the vectorized kernels' scalar tails run too) and arguments.
/// </summary>
[Collection(AllocationCollection.Name)] // hands arrays to the shared pool: alone, so another test cannot take them first
public sealed class UninitializedStorageTests
{
    private const int DrawsPerRow = 6;
    private const int PoisonedCopies = 8;

    public static TheoryData<string, int> Draws() => OpTableDraws.Of(DrawsPerRow);

    [Theory]
    [MemberData(nameof(Draws))]
    public void UnclearedOutputsAndGradientsAreFullyWritten(string row, int draw)
    {
        var sample = OpTableDraws.Sample(OpTableDraws.Row(row), draw, seedStride: 104_729);
        var inputs = sample.Inputs.Select(input => input.Clone().SetRequiresGrad()).ToArray();
        int outputLength = sample.CSharp.Invoke(sample.Inputs).ElementCount; // a first call, off the tape, for the output's length
        int[] lengths = [outputLength, .. inputs.Select(input => input.ElementCount)];
        PoisonPool(lengths);
        var output = sample.CSharp.Invoke(inputs);
        AssertFinite(output, $"{sample.Label}: output");
        PoisonPool(lengths);
        (output * output).Sum().Backward();
        foreach (var input in inputs)
            if (input.Grad is { } gradient) AssertFinite(gradient, $"{sample.Label}: gradient of the {input.Shape} input");
        Assert.Contains(inputs, input => input.Grad is not null);
    }

    /// <summary>NaN-filled float and double arrays of the given lengths, several of each, handed to the pool for the next rents.</summary>
    private static void PoisonPool(int[] lengths)
    {
        foreach (int length in lengths.Distinct().Where(length => length > 0))
            for (int copy = 0; copy < PoisonedCopies; copy++)
            {
                var doubles = new double[length];
                Array.Fill(doubles, double.NaN);
                TensorStoragePool.Return(doubles);
                var floats = new float[length];
                Array.Fill(floats, float.NaN);
                TensorStoragePool.Return(floats);
            }
    }

    private static void AssertFinite(Tensor tensor, string what)
    {
        var values = tensor.ToDoubleArray();
        int firstNaN = Array.FindIndex(values, double.IsNaN);
        Assert.True(firstNaN < 0, $"{what} {tensor.Shape} has NaN at flat index {firstNaN}: an element its kernel did not write");
    }
}
