using System.Numerics;
using System.Numerics.Tensors;

namespace AutoDiffRnn.Optim;

/// <summary>
/// Adagrad, with <c>torch.optim.Adagrad</c>'s update: s ← s + g²; p ← p − lr · g / (√s + ε), ε = 1e-10 — the optimizer of
/// Karpathy's min-char-rnn.
/// </summary>
public sealed class Adagrad(IEnumerable<Tensor> parameters, double learningRate = 1e-2, double epsilon = 1e-10, double initialAccumulator = 0)
    : Optimizer(parameters, learningRate)
{
    /// <summary>ε, added to the denominator.</summary>
    public double Epsilon { get; } = epsilon;

    /// <inheritdoc />
    protected override int BuffersPerParameter => 2; // sum of squares, scratch

    /// <inheritdoc />
    protected override void Update<T>(Span<T> value, ReadOnlySpan<T> gradient, Tensor[] buffers)
    {
        Span<T> sum = Buffer<T>(buffers[0]), scratch = Buffer<T>(buffers[1]);
        if (StepCount == 1 && initialAccumulator != 0) sum.Fill(Constant<T>(initialAccumulator));
        TensorPrimitives.MultiplyAdd(gradient, gradient, sum, sum);
        TensorPrimitives.Sqrt(sum, scratch);
        TensorPrimitives.Add(scratch, Constant<T>(Epsilon), scratch);
        TensorPrimitives.Divide(gradient, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, Constant<T>(-LearningRate), value, value);
    }
}
