using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay, with <c>torch.optim.SGD</c>'s update:
/// g ← g + λp; b ← μb + g (b = g on the first step); g ← g + μb (Nesterov) or b; p ← p − lr·g.
/// </summary>
public sealed class Sgd(IEnumerable<Tensor> parameters, double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
    : Optimizer(parameters, learningRate)
{
    /// <summary>The momentum factor μ.</summary>
    public double Momentum { get; } = nesterov && momentum <= 0
        ? throw new ArgumentException("Sgd: Nesterov momentum needs a positive momentum")
        : momentum;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; } = weightDecay;

    /// <summary>Whether the Nesterov variant is used.</summary>
    public bool Nesterov { get; } = nesterov;

    /// <inheritdoc />
    protected override int BuffersPerParameter => 2; // momentum buffer, scratch gradient

    /// <inheritdoc />
    protected override void Update<T>(Span<T> value, ReadOnlySpan<T> gradient, Tensor[] buffers)
    {
        var step = Buffer<T>(buffers[1]);
        if (WeightDecay != 0) TensorPrimitives.MultiplyAdd(value, Constant<T>(WeightDecay), gradient, step);
        else gradient.CopyTo(step);
        if (Momentum != 0)
        {
            var momentumBuffer = Buffer<T>(buffers[0]);
            if (StepCount == 1) step.CopyTo(momentumBuffer);
            else TensorPrimitives.MultiplyAdd(momentumBuffer, Constant<T>(Momentum), step, momentumBuffer);
            if (Nesterov) TensorPrimitives.MultiplyAdd(momentumBuffer, Constant<T>(Momentum), step, step);
            else momentumBuffer.CopyTo(step);
        }
        TensorPrimitives.MultiplyAdd(step, Constant<T>(-LearningRate), value, value);
    }
}
