using AutoDiffRnn.FSharp;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace AutoDiffRnn.Tests.Ops;

/// <summary>
/// The runner of the rows' reference and error inputs (<see cref="OpReferences"/>) can fail, and fails naming the op: rows broken on
/// purpose (a wrong reference value, a naive formula, a call that does not throw or throws the wrong exception or message).
/// </summary>
public class OpReferenceRunnerTests
{
    private static OpSpec Row(string name) => OpTable.Rows().Single(r => r.Name == name);

    private static OpSpec WithInputs(OpSpec row, IEnumerable<ReferenceInput> references, IEnumerable<ErrorInput> errors) =>
        new(row.Name, row.Records, row.Draw, row.Empty, row.Fixed, ListModule.OfSeq(references), ListModule.OfSeq(errors));

    [Fact]
    public void A_wrong_reference_value_fails_naming_the_op_the_input_and_the_element()
    {
        var softplus = Row("softplus");
        var valueInputs = softplus.References.Where(r => r.Expected.IsValues).ToArray();
        Assert.NotEmpty(valueInputs);
        // each expected value of each reference input of values moved by a thousandth
        var broken = valueInputs.Select(r => new ReferenceInput(r.Label, r.DType, r.Inputs, r.Call,
            Expected.NewValues(((Expected.Values)r.Expected).Item.Select(v => v + 1e-3 * Math.Max(1, Math.Abs(v))).ToArray()), r.Tolerance));
        var failures = OpSpecModule.ReferenceFailures(WithInputs(softplus, broken, [])).ToArray();
        Assert.All(failures, failure => Assert.StartsWith("softplus: ", failure));
        foreach (var input in valueInputs)
            Assert.Contains(failures, failure => failure.Contains(input.Label) && failure.Contains("element 0"));
        Assert.Empty(OpSpecModule.ReferenceFailures(softplus));
    }

    [Fact]
    public void A_wrong_expected_shape_fails_naming_the_op()
    {
        var add = Row("add");
        var shaped = add.References.Single(r => r.Expected.IsShapeAndValues);
        var values = ((Expected.ShapeAndValues)shaped.Expected).values;
        var broken = new ReferenceInput(shaped.Label, shaped.DType, shaped.Inputs, shaped.Call, Expected.NewShapeAndValues([3, 2], values), shaped.Tolerance);
        var failure = Assert.Single(OpSpecModule.ReferenceFailures(WithInputs(add, [broken], [])));
        Assert.StartsWith("add: a row broadcast over a matrix (Float64): expected shape [3,2], got [2,3]", failure);
    }

    [Fact]
    public void A_wrong_expected_gradient_fails_naming_the_op()
    {
        var sqrt = Row("sqrt");
        var gradient = sqrt.References.Single(r => r.Expected.IsGradients);
        var broken = new ReferenceInput(gradient.Label, gradient.DType, gradient.Inputs, gradient.Call,
            Expected.NewGradients([[0.25, 1.001]]), gradient.Tolerance);
        var failure = Assert.Single(OpSpecModule.ReferenceFailures(WithInputs(sqrt, [broken], [])));
        Assert.StartsWith("sqrt: ", failure);
        Assert.Contains("gradient of input 0: element 1", failure);
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

    [Fact]
    public void An_error_input_fails_when_nothing_is_thrown_or_the_wrong_exception_or_message()
    {
        var softplus = Row("softplus");
        ErrorInput Error(string label, Action call, Type exception, params string[] contains) =>
            new(label, FuncConvert.FromAction(call), exception, ListModule.OfSeq(contains));
        var ones = Tensor.Ones(new Shape(2));
        var failures = OpSpecModule.ReferenceFailures(WithInputs(softplus, [],
        [
            Error("beta 1 is fine", () => ones.Softplus(beta: 1), typeof(ArgumentOutOfRangeException), "softplus"),
            Error("a base type is not enough", () => ones.Softplus(beta: 0), typeof(ArgumentException), "softplus"),
            Error("the message lacks a text", () => ones.Softplus(beta: 0), typeof(ArgumentOutOfRangeException), "softplus", "gamma"),
            Error("as it must", () => ones.Softplus(beta: 0), typeof(ArgumentOutOfRangeException), "softplus", "beta"),
        ])).ToArray();
        Assert.Equal(3, failures.Length);
        Assert.StartsWith("softplus: beta 1 is fine: expected ArgumentOutOfRangeException naming 'softplus', nothing was thrown", failures[0]);
        Assert.StartsWith("softplus: a base type is not enough: expected ArgumentException", failures[1]);
        Assert.Contains("got ArgumentOutOfRangeException", failures[1]);
        Assert.StartsWith("softplus: the message lacks a text", failures[2]);
    }

    [Fact]
    public void A_call_that_throws_where_values_are_expected_is_a_failure_naming_the_op()
    {
        var relu = Row("relu");
        var throwing = new ReferenceInput("throws", DType.Float64, [Tensor.FromArray(new double[] { 1 })],
            FuncConvert.FromFunc<Tensor[], Tensor>(x => x[0].Softplus(beta: 0)), Expected.NewValues([1.0]), Tolerance.Exact);
        var failure = Assert.Single(OpSpecModule.ReferenceFailures(WithInputs(relu, [throwing], [])));
        Assert.StartsWith("relu: throws (Float64): threw ArgumentOutOfRangeException", failure);
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
