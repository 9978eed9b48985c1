using AutoDiffRnn.FSharp;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace AutoDiffRnn.Tests.Ops;

/// <summary>
/// The runner of the rows' reference and error inputs (<see cref="OpReferences"/>) can fail, and fails naming the op: every row's
/// inputs broken on purpose (each expected value, gradient or shape wrong; each error input given a call that does not throw, a base
/// exception type, a text its message lacks), and a naive formula.
/// </summary>
public class OpReferenceRunnerTests
{
    private static OpSpec Row(string name) => OpTable.Rows().Single(r => r.Name == name);

    private static OpSpec WithInputs(OpSpec row, IEnumerable<ReferenceInput> references, IEnumerable<ErrorInput> errors) =>
        new(row.Name, row.Records, row.Draw, row.Empty, row.Fixed, ListModule.OfSeq(references), ListModule.OfSeq(errors));

    private static TheoryData<string> RowsWhere(Func<OpSpec, bool> condition)
    {
        var data = new TheoryData<string>();
        foreach (var row in OpTable.Rows().Where(condition)) data.Add(row.Name);
        return data;
    }

    public static TheoryData<string> RowsWithValues() => RowsWhere(r => r.References.Any(x => x.Expected.IsValues || x.Expected.IsShapeAndValues));
    public static TheoryData<string> RowsWithGradients() => RowsWhere(r => r.References.Any(x => x.Expected.IsGradients));
    public static TheoryData<string> RowsWithShapes() => RowsWhere(r => r.References.Any(x => x.Expected.IsShapeAndValues));
    public static TheoryData<string> RowsWithErrors() => RowsWhere(r => !r.Errors.IsEmpty);

    /// <summary>A wrong value in place of each: 0 for NaN and infinities, else moved by a thousandth (at least 10⁻³).</summary>
    private static double[] Wrong(double[] values) =>
        values.Select(v => double.IsFinite(v) ? v + 1e-3 * Math.Max(1, Math.Abs(v)) : 0).ToArray();

    private static ReferenceInput Expecting(ReferenceInput reference, Expected expected) =>
        new(reference.Label, reference.DType, reference.Inputs, reference.Call, expected, reference.Tolerance);

    /// <summary>
    /// Asserts the row's reference inputs hold, and that each one <paramref name="breaks"/> gives a wrong expectation (null: left
    /// out) fails with a message that starts with the row's name, the input's label and type, then <paramref name="where"/>.
    /// </summary>
    private static void AssertEachBrokenInputFails(string name, Func<Expected, Expected?> breaks, string where)
    {
        var row = Row(name);
        Assert.Empty(OpSpecModule.ReferenceFailures(row));
        var broken = row.References.Select(r => (Input: r, Wrong: breaks(r.Expected))).Where(p => p.Wrong is not null).ToArray();
        Assert.NotEmpty(broken);
        var failures = OpSpecModule.ReferenceFailures(WithInputs(row, broken.Select(p => Expecting(p.Input, p.Wrong!)), [])).ToArray();
        Assert.All(failures, failure => Assert.StartsWith($"{name}: ", failure));
        foreach (var (input, _) in broken)
            Assert.Contains(failures, failure => failure.StartsWith($"{name}: {input.Label} ({input.DType}): {where}"));
    }

    [Theory]
    [MemberData(nameof(RowsWithValues))]
    public void A_wrong_reference_value_fails_naming_the_op_the_input_and_the_element(string name) =>
        AssertEachBrokenInputFails(name, expected => expected switch
        {
            Expected.Values values => Expected.NewValues(Wrong(values.Item)),
            Expected.ShapeAndValues shaped => Expected.NewShapeAndValues(shaped.shape, Wrong(shaped.values)),
            _ => null,
        }, "element 0: expected ");

    [Theory]
    [MemberData(nameof(RowsWithGradients))]
    public void A_wrong_expected_gradient_fails_naming_the_op(string name) =>
        AssertEachBrokenInputFails(name, expected => expected is Expected.Gradients gradients
            ? Expected.NewGradients(gradients.Item.Select(Wrong).ToArray()) : null, "gradient of input 0: element 0: expected ");

    [Theory]
    [MemberData(nameof(RowsWithShapes))]
    public void A_wrong_expected_shape_fails_naming_the_op(string name) =>
        AssertEachBrokenInputFails(name, expected => expected is Expected.ShapeAndValues shaped
            ? Expected.NewShapeAndValues([.. shaped.shape.Reverse(), 1], shaped.values) : null, "expected shape [");

    [Theory]
    [MemberData(nameof(RowsWithErrors))]
    public void An_error_input_fails_when_nothing_is_thrown_or_the_wrong_exception_or_message(string name)
    {
        var row = Row(name);
        foreach (var error in row.Errors)
        {
            var nothingThrown = new ErrorInput(error.Label, FuncConvert.FromAction(() => { }), error.Exception, error.Contains);
            var baseType = new ErrorInput(error.Label, error.Call, typeof(Exception), error.Contains);
            var missingText = new ErrorInput(error.Label, error.Call, error.Exception, ListModule.OfSeq(error.Contains.Append("a text no message holds")));
            var failures = OpSpecModule.ReferenceFailures(WithInputs(row, [], [nothingThrown, baseType, missingText, error])).ToArray();
            Assert.Equal(3, failures.Length);
            Assert.StartsWith($"{name}: {error.Label}: expected {error.Exception.Name} naming ", failures[0]);
            Assert.EndsWith("nothing was thrown", failures[0]);
            Assert.StartsWith($"{name}: {error.Label}: expected Exception naming ", failures[1]);
            Assert.Contains($"got {error.Exception.Name}: ", failures[1]);
            Assert.StartsWith($"{name}: {error.Label}: expected {error.Exception.Name} naming ", failures[2]);
            Assert.Contains("'a text no message holds'", failures[2]);
        }
    }

    [Fact]
    public void A_call_that_throws_where_values_are_expected_is_a_failure_naming_the_op()
    {
        var row = OpTable.Rows().First();
        var throwing = new ReferenceInput("throws on purpose", DType.Float64, FuncConvert.FromFunc(() => new[] { Tensor.FromArray(new double[] { 1 }) }),
            FuncConvert.FromFunc<Tensor[], Tensor>(_ => throw new InvalidOperationException("on purpose")), Expected.NewValues([1.0]), Tolerance.Exact);
        var failure = Assert.Single(OpSpecModule.ReferenceFailures(WithInputs(row, [throwing], [])));
        Assert.Equal($"{row.Name}: throws on purpose (Float64): threw InvalidOperationException: on purpose", failure);
    }

    [Fact]
    public void The_direct_formula_fails_log1p_at_tiny_inputs()
    {
        // ln(fl(1 + 1e-10)) is off in the 8th digit: the tiny inputs' reference must reject it
        Assert.NotEqual(1.0, Math.Log(1 + 1e-10) / (1e-10 - 5e-21), 9);
        var log1p = Row("log1p");
        var tiny = log1p.References.Single(r => r.Label == "tiny inputs to full precision");
        var naive = new ReferenceInput(tiny.Label, tiny.DType, tiny.Inputs,
            FuncConvert.FromFunc<Tensor[], Tensor>(x => (x[0] + 1.0).Log()), tiny.Expected, tiny.Tolerance);
        var failures = OpSpecModule.ReferenceFailures(WithInputs(log1p, [naive], [])).ToArray();
        Assert.NotEmpty(failures);
        Assert.All(failures, failure => Assert.StartsWith("log1p: tiny inputs to full precision", failure));
        Assert.Empty(OpSpecModule.ReferenceFailures(WithInputs(log1p, [tiny], [])));
    }

    [Theory]
    [InlineData(0.5, 0.5 + 5e-13, 1e-12, true)]    // within, absolutely below 1
    [InlineData(1000.0, 1000.0 + 1e-9, 1e-12, true)] // within, relatively above 1
    [InlineData(1000.0, 1000.0 + 2e-9, 1e-12, false)]
    [InlineData(0.5, 0.5 + 2e-12, 1e-12, false)]
    [InlineData(double.NaN, double.NaN, 1e-12, true)]
    [InlineData(double.NaN, 1.0, 1e-12, false)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity, 1e-12, true)]
    [InlineData(double.PositiveInfinity, double.MaxValue, 1e-12, false)]
    public void Within_is_absolute_below_one_and_relative_above_and_nan_expects_nan(double expected, double actual, double tolerance, bool accepts) =>
        Assert.Equal(accepts, Tolerance.NewWithin(tolerance).Accepts(expected, actual));

    [Fact]
    public void Relative_and_exact_tolerances()
    {
        Assert.True(Tolerance.NewRelative(5e-13).Accepts(Math.Exp(-700), Math.Exp(-700) * (1 + 4e-13)));
        Assert.False(Tolerance.NewRelative(5e-13).Accepts(Math.Exp(-700), Math.Exp(-700) * (1 + 6e-13)));
        Assert.True(Tolerance.NewWithin(1e-12).Accepts(1e-300, 0)); // Within is absolute below 1: 0 is within 1e-12 of 1e-300
        Assert.False(Tolerance.NewRelative(1e-12).Accepts(1e-300, 0));
        Assert.True(Tolerance.Exact.Accepts(3, 3));
        Assert.False(Tolerance.Exact.Accepts(3, Math.BitIncrement(3.0)));
    }
}
