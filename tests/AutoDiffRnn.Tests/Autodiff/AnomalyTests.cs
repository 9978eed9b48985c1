using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Autodiff;

/// <summary>Anomaly mode: the first NaN or infinity, forward or backward, named with its op, input shapes, recording site and op chain.</summary>
public class AnomalyTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).SetRequiresGrad();

    [Fact]
    public void ALogOfANegativeNumberDeepInTheGraphIsCaughtInForwardAtTheLog()
    {
        var x = Leaf(1, 2, 3);
        using (Anomaly.Detect())
        {
            var shifted = x * 2.0 - 5.0; // [-3, -1, 1]
            var error = Assert.Throws<AnomalyException>(() => shifted.Log());
            Assert.Equal(AnomalyPass.Forward, error.Pass);
            Assert.Equal("log", error.OperationName);
            Assert.Equal([new Shape(3)], error.InputShapes);
            Assert.StartsWith("anomaly mode (forward): 'log' produced 2 NaN of 3 elements from inputs float64 [3] (finite)", error.Message);
            Assert.Contains($"{nameof(AnomalyTests)}.{nameof(ALogOfANegativeNumberDeepInTheGraphIsCaughtInForwardAtTheLog)} in ", error.Message);
            Assert.Contains("AnomalyTests.cs:line ", error.Message);
            Assert.EndsWith("op chain from the leaves: leaf → mul → sub → log", error.Message);
        }
    }

    [Fact]
    public void AnInfiniteGradientIsCaughtInBackwardAtTheOpThatReturnedIt()
    {
        var x = Leaf(0, 4);
        using var _ = Anomaly.Detect();
        var root = (x * 1.0).Sqrt(); // sqrt(0) = 0 is fine; its gradient 1 / (2·sqrt 0) is not
        int line = CurrentLine() - 1;
        var error = Assert.Throws<AnomalyException>(() => root.Sum().Backward());
        Assert.Equal(AnomalyPass.Backward, error.Pass);
        Assert.Equal("sqrt", error.OperationName);
        Assert.Equal([new Shape(2)], error.InputShapes);
        Assert.StartsWith("anomaly mode (backward): the backward of 'sqrt' produced 1 infinite of 2 elements", error.Message);
        Assert.Contains($"AnomalyTests.cs:line {line}", error.Message); // where sqrt was recorded in the forward pass
        Assert.EndsWith("op chain from the leaves: leaf → mul → sqrt", error.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void InfinityIsAnAnomalyTooEvenWithoutGradients()
    {
        var x = Tensor.FromArray(new double[] { 0, 1 }); // no gradient: the forward check does not depend on recording
        using var _ = Anomaly.Detect();
        var error = Assert.Throws<AnomalyException>(() => x.Log());
        Assert.StartsWith("anomaly mode (forward): 'log' produced 1 infinite of 2 elements", error.Message);
        Assert.EndsWith("op chain from the leaves: leaf → log", error.Message);
    }

    [Fact]
    public void OffByDefaultAndOffAgainAfterTheScope()
    {
        Assert.False(Anomaly.IsEnabled);
        var x = Leaf(-1);
        Assert.True(double.IsNaN(x.Log().ToScalar()));
        using (Anomaly.Detect())
        {
            Assert.True(Anomaly.IsEnabled);
            using (Anomaly.Suspend())
                Assert.True(double.IsNaN(x.Log().ToScalar()));
            Assert.Throws<AnomalyException>(() => x.Log());
        }
        Assert.False(Anomaly.IsEnabled);
        var y = x.Log();
        Assert.Null(y.GradFn!.RecordedAt); // nothing is captured when off
        Assert.True(double.IsNaN(y.ToScalar()));
    }

    [Fact]
    public void ItIsPerThread()
    {
        using var _ = Anomaly.Detect();
        bool otherEnabled = true;
        double other = 0;
        var thread = new Thread(() => (otherEnabled, other) = (Anomaly.IsEnabled, Leaf(-1).Log().ToScalar()));
        thread.Start();
        thread.Join();
        Assert.False(otherEnabled);
        Assert.True(double.IsNaN(other));
        Assert.Throws<AnomalyException>(() => Leaf(-1).Log());
    }

    [Fact]
    public void AFiniteTrainingStepGivesTheSameValuesAndGradientsWithItOn()
    {
        (double Loss, double[][] Gradients) Run(bool fused, bool detect)
        {
            var lstm = new Lstm(3, 4, numLayers: 2, dtype: DType.Float64, generator: new Generator(5)) { UseFusedKernels = fused };
            var x = Random64.Normal(6, 5, 2, 3);
            using var scope = detect ? Anomaly.Detect() : Anomaly.Suspend();
            var loss = (lstm.Forward(x).Output.Tanh() * 0.5).Sum();
            loss.Backward();
            if (detect) Assert.Contains("AnomalyTests.cs:line", loss.GradFn!.RecordedAt);
            return (loss.ToScalar(), lstm.Parameters().Select(p => p.Grad!.ToDoubleArray()).ToArray());
        }
        foreach (var fused in new[] { false, true })
        {
            var off = Run(fused, detect: false);
            var on = Run(fused, detect: true);
            Assert.Equal(off.Loss, on.Loss);
            Assert.Equal(off.Gradients, on.Gradients);
        }
    }

    private static int CurrentLine([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;
}
