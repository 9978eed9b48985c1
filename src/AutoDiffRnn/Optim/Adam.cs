using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Optim;

/// <summary>
/// Adam, and AdamW with decoupled weight decay, with <c>torch.optim.Adam</c>/<c>AdamW</c>'s update at step t:
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
/// Adam adds λp to the gradient; AdamW multiplies p by (1 − lr·λ) first.
/// </summary>
public class Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double epsilon = 1e-8, double weightDecay = 0, bool decoupledWeightDecay = false) : Optimizer(parameters, learningRate)
{
    /// <summary>β₁, the decay of the first moment.</summary>
    public double Beta1 { get; } = beta1;

    /// <summary>β₂, the decay of the second moment.</summary>
    public double Beta2 { get; } = beta2;

    /// <summary>ε, added to the denominator.</summary>
    public double Epsilon { get; } = epsilon;

    /// <summary>λ, the weight decay.</summary>
    public double WeightDecay { get; } = weightDecay;

    /// <summary>True for AdamW's decoupled weight decay.</summary>
    public bool DecoupledWeightDecay { get; } = decoupledWeightDecay;

    /// <inheritdoc />
    protected override int BuffersPerParameter => 3; // m, v, scratch

    /// <inheritdoc />
    protected override void Update<T>(Span<T> value, ReadOnlySpan<T> gradient, Tensor[] buffers)
    {
        Span<T> first = Buffer<T>(buffers[0]), second = Buffer<T>(buffers[1]), scratch = Buffer<T>(buffers[2]);
        ReadOnlySpan<T> g = gradient;
        if (WeightDecay != 0 && DecoupledWeightDecay)
            TensorPrimitives.Multiply(value, Constant<T>(1 - LearningRate * WeightDecay), value);
        else if (WeightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(value, Constant<T>(WeightDecay), gradient, scratch);
            g = scratch;
        }
        // m ← β₁m + (1−β₁)g
        TensorPrimitives.Multiply(first, Constant<T>(Beta1), first);
        TensorPrimitives.MultiplyAdd(g, Constant<T>(1 - Beta1), first, first);
        // v ← β₂v + (1−β₂)g²
        TensorPrimitives.Multiply(second, Constant<T>(Beta2), second);
        TensorPrimitives.Multiply(g, g, scratch);
        TensorPrimitives.MultiplyAdd(scratch, Constant<T>(1 - Beta2), second, second);
        double correction1 = 1 - Math.Pow(Beta1, StepCount), correction2 = 1 - Math.Pow(Beta2, StepCount);
        // denominator √v / √(1−β₂ᵗ) + ε, then p ← p − (lr/(1−β₁ᵗ)) m / denominator
        TensorPrimitives.Sqrt(second, scratch);
        TensorPrimitives.Multiply(scratch, Constant<T>(1 / Math.Sqrt(correction2)), scratch);
        TensorPrimitives.Add(scratch, Constant<T>(Epsilon), scratch);
        TensorPrimitives.Divide(first, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, Constant<T>(-LearningRate / correction1), value, value);
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default λ = 0.01), as <c>torch.optim.AdamW</c>.</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double epsilon = 1e-8, double weightDecay = 0.01) : Adam(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay: true);
