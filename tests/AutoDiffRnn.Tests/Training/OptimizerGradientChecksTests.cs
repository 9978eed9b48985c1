using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Training;

/// <summary>Every optimizer checks each gradient's dtype, shape and finiteness before it changes anything.</summary>
public class OptimizerGradientChecksTests
{
    public static TheoryData<string> Optimizers => new() { "sgd", "adam", "adamw", "adagrad", "rmsprop" };

    private static Optimizer Make(string name, Tensor[] parameters) => name switch
    {
        "sgd" => new Sgd(parameters, 0.1, momentum: 0.9),
        "adam" => new Adam(parameters, 0.1),
        "adamw" => new AdamW(parameters, 0.1),
        "adagrad" => new Adagrad(parameters, 0.1),
        "rmsprop" => new RmsProp(parameters, 0.1, momentum: 0.5, centered: true),
        _ => throw new ArgumentException(name),
    };

    private static (Tensor First, Tensor Second) Parameters()
    {
        var first = Tensor.FromArray(new float[] { 1, 2, 3 }).SetRequiresGrad();
        var second = Tensor.FromArray(new float[] { -1, 0.5f }).SetRequiresGrad();
        return (first, second);
    }

    private static Dictionary<string, float[]> Snapshot(Optimizer optimizer) =>
        optimizer.StateDict().ToDictionary(entry => entry.Key, entry => entry.Value.ToFloatArray());

    private static void AssertSameState(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, values) in expected) Assert.Equal(values, actual[key]);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void AGradientOfAnotherDTypeIsRefusedNamingTheParameterAndBothDTypes(string name)
    {
        var (first, second) = Parameters();
        var optimizer = Make(name, [first, second]);
        first.Grad = Tensor.Ones(new Shape(3));
        second.Grad = Tensor.Ones(new Shape(2), DType.Float64);
        var error = Assert.Throws<ArgumentException>(optimizer.Step);
        Assert.Contains("parameter 1 (float32 [2])", error.Message);
        Assert.Contains("is float64 [2]", error.Message);
        Assert.Equal([1f, 2f, 3f], first.ToFloatArray()); // checked before the first update
        Assert.Equal(0, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void AGradientOfAnotherShapeIsRefusedNamingBothShapes(string name)
    {
        var (first, second) = Parameters();
        var optimizer = Make(name, [first, second]);
        first.Grad = Tensor.Ones(new Shape(4));
        var error = Assert.Throws<ArgumentException>(optimizer.Step);
        Assert.Contains("parameter 0 (float32 [3])", error.Message);
        Assert.Contains("is float32 [4]", error.Message);
        Assert.DoesNotContain("span", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ANonFiniteGradientRefusesTheStepByDefaultAndChangesNothing(string name)
    {
        var (first, second) = Parameters();
        var optimizer = Make(name, [first, second]);
        first.Grad = Tensor.Ones(new Shape(3));
        second.Grad = Tensor.Ones(new Shape(2));
        optimizer.Step();
        var parametersBefore = (first.ToFloatArray(), second.ToFloatArray());
        var stateBefore = Snapshot(optimizer);
        second.Grad = Tensor.FromArray(new[] { float.NaN, 1f });
        var error = Assert.Throws<NonFiniteGradientException>(optimizer.Step);
        Assert.Contains("parameter 1 (float32 [2]): 1 NaN of 2 elements", error.Message);
        Assert.Equal(["parameter 1 (float32 [2]): 1 NaN of 2 elements"], error.Parameters);
        Assert.Equal(parametersBefore.Item1, first.ToFloatArray());
        Assert.Equal(parametersBefore.Item2, second.ToFloatArray());
        AssertSameState(stateBefore, Snapshot(optimizer));
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void SkipStepLeavesParametersAndStateUntouchedAndTrainingContinues(string name)
    {
        var (first, second) = Parameters();
        var optimizer = Make(name, [first, second]);
        optimizer.NonFiniteGradients = NonFiniteGradientPolicy.SkipStep;
        first.Grad = Tensor.Ones(new Shape(3));
        second.Grad = Tensor.Ones(new Shape(2));
        optimizer.Step();
        var parametersBefore = (first.ToFloatArray(), second.ToFloatArray());
        var stateBefore = Snapshot(optimizer);

        first.Grad = Tensor.FromArray(new[] { 1f, float.PositiveInfinity, 1f });
        optimizer.Step();
        Assert.True(optimizer.LastStepSkipped);
        Assert.Equal(1, optimizer.SkippedStepCount);
        Assert.Equal(1, optimizer.StepCount);
        Assert.Equal(parametersBefore.Item1, first.ToFloatArray());
        Assert.Equal(parametersBefore.Item2, second.ToFloatArray());
        AssertSameState(stateBefore, Snapshot(optimizer));

        first.Grad = Tensor.Ones(new Shape(3)); // the next finite step trains normally: the moments were not poisoned
        optimizer.Step();
        Assert.False(optimizer.LastStepSkipped);
        Assert.Equal(2, optimizer.StepCount);
        Assert.All(Snapshot(optimizer).Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
        Assert.All(first.ToFloatArray(), v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(parametersBefore.Item1, first.ToFloatArray());
    }

    [Fact]
    public void AdamAfterASkippedNaNStepMatchesAdamThatNeverSawIt()
    {
        var skipped = Tensor.FromArray(new double[] { 1, -2 }).SetRequiresGrad();
        var clean = Tensor.FromArray(new double[] { 1, -2 }).SetRequiresGrad();
        var withSkip = new Adam([skipped], 0.1) { NonFiniteGradients = NonFiniteGradientPolicy.SkipStep };
        var reference = new Adam([clean], 0.1);
        for (int step = 0; step < 5; step++)
        {
            if (step == 2)
            {
                skipped.Grad = Tensor.FromArray(new[] { double.NaN, 0 });
                withSkip.Step();
            }
            skipped.Grad = skipped * 2.0;
            clean.Grad = clean * 2.0;
            withSkip.Step();
            reference.Step();
        }
        TensorAssert.Close(clean.ToDoubleArray(), skipped, 0);
    }
}
