using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Training;

/// <summary>Each optimizer on f(x) = Σ x², gradient 2x, against the update rules of PyTorch's documentation written out with doubles.</summary>
public class OptimizerTests
{
    private static readonly double[] Start = [1.0, -2.0, 0.5];

    private static double[] Run(Func<Tensor, Optimizer> make, int steps, DType dtype = DType.Float64)
    {
        var x = Tensor.FromArray(Start, new Shape(3), dtype).SetRequiresGrad();
        var optimizer = make(x);
        for (int i = 0; i < steps; i++)
        {
            optimizer.ZeroGrad();
            (x * x).Sum().Backward();
            optimizer.Step();
        }
        return x.ToDoubleArray();
    }

    private static double[] Reference(Func<double, double, int, double[], double> update, int steps, int stateSize)
    {
        // update(p, g, t, state) returns the new p; state holds this element's buffers
        return Start.Select(p0 =>
        {
            double p = p0;
            var state = new double[stateSize];
            for (int t = 1; t <= steps; t++) p = update(p, 2 * p, t, state);
            return p;
        }).ToArray();
    }

    [Theory]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.9, 0.1, true)]
    public void SgdMatchesThePyTorchRule(double momentum, double weightDecay, bool nesterov)
    {
        var actual = Run(x => new Sgd([x], 0.1, momentum, weightDecay, nesterov), 4);
        var expected = Reference((p, g, t, s) =>
        {
            g += weightDecay * p;
            if (momentum != 0)
            {
                s[0] = t == 1 ? g : momentum * s[0] + g;
                g = nesterov ? g + momentum * s[0] : s[0];
            }
            return p - 0.1 * g;
        }, 4, 1);
        TensorAssert.Close(expected, Tensor.FromArray(actual), 1e-14);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.1, false)]
    [InlineData(0.1, true)]
    public void AdamAndAdamWMatchThePyTorchRule(double weightDecay, bool decoupled)
    {
        const double lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var actual = Run(x => decoupled ? new AdamW([x], lr, weightDecay: weightDecay) : new Adam([x], lr, weightDecay: weightDecay), 5);
        var expected = Reference((p, g, t, s) =>
        {
            if (decoupled) p *= 1 - lr * weightDecay; else g += weightDecay * p;
            s[0] = b1 * s[0] + (1 - b1) * g;
            s[1] = b2 * s[1] + (1 - b2) * g * g;
            double mHat = s[0] / (1 - Math.Pow(b1, t)), vHat = s[1] / (1 - Math.Pow(b2, t));
            return p - lr * mHat / (Math.Sqrt(vHat) + eps);
        }, 5, 2);
        TensorAssert.Close(expected, Tensor.FromArray(actual), 1e-12);
    }

    [Fact]
    public void AdagradMatchesThePyTorchRule()
    {
        var actual = Run(x => new Adagrad([x], 0.1), 5);
        var expected = Reference((p, g, t, s) => { s[0] += g * g; return p - 0.1 * g / (Math.Sqrt(s[0]) + 1e-10); }, 5, 1);
        TensorAssert.Close(expected, Tensor.FromArray(actual), 1e-14);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.5, true)]
    public void RmsPropMatchesThePyTorchRule(double momentum, bool centered)
    {
        const double lr = 0.01, alpha = 0.99, eps = 1e-8;
        var actual = Run(x => new RmsProp([x], lr, alpha, eps, momentum, centered), 5);
        var expected = Reference((p, g, t, s) =>
        {
            s[0] = alpha * s[0] + (1 - alpha) * g * g;
            double v = s[0];
            if (centered) { s[1] = alpha * s[1] + (1 - alpha) * g; v -= s[1] * s[1]; }
            double denominator = Math.Sqrt(v) + eps;
            if (momentum > 0) { s[2] = momentum * s[2] + g / denominator; return p - lr * s[2]; }
            return p - lr * g / denominator;
        }, 5, 3);
        TensorAssert.Close(expected, Tensor.FromArray(actual), 1e-12);
    }

    [Fact]
    public void Float32ParametersFollowTheFloat64Result()
    {
        var single = Run(x => new Adam([x], 0.05), 5, DType.Float32);
        var @double = Run(x => new Adam([x], 0.05), 5);
        TensorAssert.Close(@double, Tensor.FromArray(single), 1e-5);
    }

    [Fact]
    public void StepsAfterTheFirstAllocateNothing()
    {
        var x = Tensor.FromArray(new float[1000]).SetRequiresGrad();
        x.Grad = Tensor.Ones(new Shape(1000));
        foreach (var optimizer in new Optimizer[] { new Sgd([x], 0.1, 0.9), new Adam([x]), new Adagrad([x]), new RmsProp([x], momentum: 0.9, centered: true) })
        {
            optimizer.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) optimizer.Step();
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024, $"{optimizer.GetType().Name} allocates in Step");
        }
    }

    [Fact]
    public void ClippingByNormAndByValue()
    {
        var a = Tensor.FromArray(new double[] { 0, 0 }).SetRequiresGrad();
        var b = Tensor.FromArray(new double[] { 0 }).SetRequiresGrad();
        a.Grad = Tensor.FromArray(new double[] { 3, 4 });
        b.Grad = Tensor.FromArray(new double[] { 12 });
        double norm = GradientClipping.ClipGradNorm([a, b], 6.5);
        Assert.Equal(13, norm, 12);
        TensorAssert.Close([1.5, 2], a.Grad, 1e-6);
        TensorAssert.Close([6], b.Grad, 1e-6);
        Assert.Equal(6.5, GradientClipping.ClipGradNorm([a, b], 100), 5); // below the limit: reports the norm, changes nothing
        TensorAssert.Close([1.5, 2], a.Grad, 1e-6);
        GradientClipping.ClipGradValue([a, b], 1.75);
        TensorAssert.Close([1.5, 1.75], a.Grad, 1e-6);
        TensorAssert.Close([1.75], b.Grad, 0);
    }

    [Fact]
    public void SchedulesFollowTheirClosedForms()
    {
        var x = Tensor.FromArray(new double[] { 1 }).SetRequiresGrad();
        var sgd = new Sgd([x], 1.0);
        var step = new StepSchedule(sgd, 2, 0.5);
        var rates = Enumerable.Range(0, 5).Select(_ => { step.Step(); return sgd.LearningRate; }).ToArray();
        Assert.Equal(new[] { 1, 0.5, 0.5, 0.25, 0.25 }, rates);
        var exponential = new ExponentialSchedule(sgd = new Sgd([x], 2.0), 0.9);
        exponential.Step(); exponential.Step();
        Assert.Equal(2 * 0.81, sgd.LearningRate, 12);
        var cosine = new CosineSchedule(sgd = new Sgd([x], 1.0), 10, 0.1);
        for (int i = 0; i < 5; i++) cosine.Step();
        Assert.Equal(0.55, sgd.LearningRate, 12);
    }

    [Fact]
    public void StateDictResumesExactly()
    {
        var x1 = Tensor.FromArray(Start).SetRequiresGrad();
        var adam1 = new Adam([x1], 0.1);
        void Train(Tensor x, Optimizer optimizer, int steps)
        {
            for (int i = 0; i < steps; i++) { optimizer.ZeroGrad(); (x * x).Sum().Backward(); optimizer.Step(); }
        }
        Train(x1, adam1, 6);
        var x2 = Tensor.FromArray(Start).SetRequiresGrad();
        var adam2 = new Adam([x2], 0.1);
        Train(x2, adam2, 3);
        var saved = adam2.StateDict();
        var x3 = x2.Detach().Clone().SetRequiresGrad();
        var adam3 = new Adam([x3], 0.1);
        adam3.LoadStateDict(saved);
        Train(x3, adam3, 3);
        Assert.Equal(x1.ToDoubleArray(), x3.ToDoubleArray());
    }
}
