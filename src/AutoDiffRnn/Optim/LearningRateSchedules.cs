namespace AutoDiffRnn.Optim;

/// <summary>A learning-rate schedule: call <see cref="Step"/> once per epoch (or step) after the optimizer's step, as in PyTorch.</summary>
public abstract class LearningRateSchedule(Optimizer optimizer)
{
    private readonly double initial = optimizer.LearningRate;

    /// <summary>How many times <see cref="Step"/> was called.</summary>
    public int Epoch { get; private set; }

    /// <summary>Advances the schedule and sets the optimizer's learning rate.</summary>
    public void Step()
    {
        Epoch++;
        optimizer.LearningRate = RateAt(initial, Epoch);
    }

    /// <summary>The learning rate after <paramref name="epoch"/> steps, from the initial one.</summary>
    protected abstract double RateAt(double initialRate, int epoch);
}

/// <summary>lr · γ^⌊epoch / stepSize⌋, as <c>StepLR</c>.</summary>
public sealed class StepSchedule(Optimizer optimizer, int stepSize, double gamma = 0.1) : LearningRateSchedule(optimizer)
{
    /// <inheritdoc />
    protected override double RateAt(double initialRate, int epoch) => initialRate * Math.Pow(gamma, epoch / stepSize);
}

/// <summary>lr · γ^epoch, as <c>ExponentialLR</c>.</summary>
public sealed class ExponentialSchedule(Optimizer optimizer, double gamma) : LearningRateSchedule(optimizer)
{
    /// <inheritdoc />
    protected override double RateAt(double initialRate, int epoch) => initialRate * Math.Pow(gamma, epoch);
}

/// <summary>η_min + (lr − η_min)(1 + cos(π·epoch/T_max))/2, the closed form of <c>CosineAnnealingLR</c>.</summary>
public sealed class CosineSchedule(Optimizer optimizer, int maxEpochs, double minimumRate = 0) : LearningRateSchedule(optimizer)
{
    /// <inheritdoc />
    protected override double RateAt(double initialRate, int epoch) =>
        minimumRate + (initialRate - minimumRate) * (1 + Math.Cos(Math.PI * epoch / maxEpochs)) / 2;
}
