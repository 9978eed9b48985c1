namespace AutoDiffRnn.Optim;

/// <summary>What <see cref="Optimizer.Step"/> does when a gradient holds NaN or infinite values.</summary>
public enum NonFiniteGradientPolicy
{
    /// <summary>Refuse the step with a <see cref="NonFiniteGradientException"/> naming the parameters at fault (the default).</summary>
    Throw,

    /// <summary>
    /// Skip the whole step, as AMP's GradScaler does after an overflow: no parameter, state buffer or step count changes;
    /// <see cref="Optimizer.LastStepSkipped"/> and <see cref="Optimizer.SkippedStepCount"/> tell.
    /// </summary>
    SkipStep,
}
