using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Optim;

/// <summary>
/// RMSprop, with <c>torch.optim.RMSprop</c>'s update: v ← αv + (1−α)g²; (centered: a ← αa + (1−α)g, v̄ = v − a²);
/// d = √v̄ + ε; with momentum b ← μb + g/d, p ← p − lr·b; else p ← p − lr·g/d.
/// </summary>
public sealed class RmsProp(IEnumerable<Tensor> parameters, double learningRate = 1e-2, double alpha = 0.99, double epsilon = 1e-8,
    double momentum = 0, bool centered = false) : Optimizer(parameters, learningRate)
{
    /// <summary>α, the smoothing constant.</summary>
    public double Alpha { get; } = alpha;

    /// <summary>ε, added to the denominator.</summary>
    public double Epsilon { get; } = epsilon;

    /// <summary>μ, the momentum factor.</summary>
    public double Momentum { get; } = momentum;

    /// <summary>Whether the gradient's running mean is subtracted (centered RMSprop).</summary>
    public bool Centered { get; } = centered;

    /// <inheritdoc />
    protected override int BuffersPerParameter => 4; // square average, gradient average, momentum buffer, scratch

    /// <inheritdoc />
    protected override void Update<T>(Span<T> value, ReadOnlySpan<T> gradient, Tensor[] buffers)
    {
        Span<T> square = Buffer<T>(buffers[0]), average = Buffer<T>(buffers[1]), momentumBuffer = Buffer<T>(buffers[2]), scratch = Buffer<T>(buffers[3]);
        TensorPrimitives.Multiply(square, Constant<T>(Alpha), square);
        TensorPrimitives.Multiply(gradient, gradient, scratch);
        TensorPrimitives.MultiplyAdd(scratch, Constant<T>(1 - Alpha), square, square);
        if (Centered)
        {
            TensorPrimitives.Multiply(average, Constant<T>(Alpha), average);
            TensorPrimitives.MultiplyAdd(gradient, Constant<T>(1 - Alpha), average, average);
            TensorPrimitives.Multiply(average, average, scratch);
            TensorPrimitives.Subtract(square, scratch, scratch);
            TensorPrimitives.Sqrt(scratch, scratch);
        }
        else TensorPrimitives.Sqrt(square, scratch);
        TensorPrimitives.Add(scratch, Constant<T>(Epsilon), scratch);
        TensorPrimitives.Divide(gradient, scratch, scratch);
        if (Momentum > 0)
        {
            TensorPrimitives.MultiplyAdd(momentumBuffer, Constant<T>(Momentum), scratch, momentumBuffer);
            TensorPrimitives.MultiplyAdd(momentumBuffer, Constant<T>(-LearningRate), value, value);
        }
        else TensorPrimitives.MultiplyAdd(scratch, Constant<T>(-LearningRate), value, value);
    }
}
