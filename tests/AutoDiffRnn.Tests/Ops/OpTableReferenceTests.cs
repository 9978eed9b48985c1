using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Tests.Ops;

/// <summary>
/// The reference and error inputs of every row of the op table (<see cref="OpTable"/>, AutoDiffRnn.FSharp), as PyTorch's OpInfo
/// <c>reference_inputs</c> and <c>error_inputs</c>: values at the op's edges (thresholds, underflow, infinities, tiny arguments) in
/// float64 and float32, float32 against float64, gradients at kinks, identities, and the calls that must throw with a message naming
/// the op. Each failure names the row, the input and the element.
/// </summary>
public class OpTableReferenceTests
{
    public static TheoryData<string> RowsWithReferenceOrErrorInputs()
    {
        var data = new TheoryData<string>();
        foreach (var row in OpTable.Rows())
            if (!row.References.IsEmpty || !row.Errors.IsEmpty)
                data.Add(row.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(RowsWithReferenceOrErrorInputs))]
    public void ReferenceAndErrorInputsHold(string row)
    {
        var failures = OpSpecModule.ReferenceFailures(OpTable.Rows().Single(r => r.Name == row));
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures));
    }
}
