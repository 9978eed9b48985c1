using System.Numerics;

namespace AutoDiffRnn.Optim;

/// <summary>
/// The base of every optimizer, as <c>torch.optim.Optimizer</c>: it holds parameter tensors and updates them in place from their
/// gradients in <see cref="Step"/>. State buffers are allocated on the first step, so later steps allocate nothing.
/// </summary>
public abstract class Optimizer
{
    private Tensor[][]? state;

    /// <summary>Creates an optimizer over <paramref name="parameters"/> (leaf tensors that require gradients).</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate)
    {
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0)
            throw new ArgumentException($"{GetType().Name}: no parameters to optimize");
        foreach (var parameter in Parameters)
            if (!parameter.IsLeaf || !parameter.RequiresGrad)
                throw new ArgumentException($"{GetType().Name}: parameters must be leaf tensors that require gradients (got {parameter.Shape})");
        if (!(learningRate >= 0))
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"{GetType().Name}: the learning rate must be non-negative, got {learningRate}");
        LearningRate = learningRate;
    }

    /// <summary>The tensors this optimizer updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current learning rate (schedules change it).</summary>
    public double LearningRate { get; set; }

    /// <summary>The number of steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>How many state buffers each parameter needs (e.g. 2 for Adam's moments).</summary>
    protected abstract int BuffersPerParameter { get; }

    /// <summary>Clears the gradients of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Parameters) parameter.ZeroGrad();
    }

    /// <summary>What <see cref="Step"/> does with NaN or infinite gradients: refuse (the default) or skip the step.</summary>
    public NonFiniteGradientPolicy NonFiniteGradients { get; set; } = NonFiniteGradientPolicy.Throw;

    /// <summary>True when the last <see cref="Step"/> was skipped for non-finite gradients (<see cref="NonFiniteGradientPolicy.SkipStep"/>).</summary>
    public bool LastStepSkipped { get; private set; }

    /// <summary>How many steps were skipped for non-finite gradients.</summary>
    public long SkippedStepCount { get; private set; }

    /// <summary>
    /// Updates every parameter that has a gradient. Every gradient is checked first, so a bad one changes nothing: a gradient of another
    /// dtype or shape than its parameter throws an <see cref="ArgumentException"/>; a NaN or infinite gradient throws a
    /// <see cref="NonFiniteGradientException"/>, or skips the whole step under <see cref="NonFiniteGradientPolicy.SkipStep"/>, so one NaN
    /// never reaches the parameters or the optimizer's state.
    /// </summary>
    public void Step()
    {
        ValidateGradients();
        LastStepSkipped = !AllGradientsFinite();
        if (LastStepSkipped)
        {
            var atFault = NonFiniteGradientParameters();
            if (NonFiniteGradients == NonFiniteGradientPolicy.SkipStep) { SkippedStepCount++; return; }
            throw new NonFiniteGradientException(
                $"{GetType().Name}.Step: non-finite gradients in {string.Join("; ", atFault)}; the step was refused and nothing changed. " +
                "Set NonFiniteGradients = NonFiniteGradientPolicy.SkipStep to skip such steps, or use anomaly mode (Anomaly.Detect()) to find the op that produced them",
                atFault);
        }
        state ??= NewState();
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var parameter = Parameters[i];
            if (parameter.Grad is not Tensor gradient) continue;
            if (parameter.DType == DType.Float32) Update<float>(parameter.Span<float>(), gradient.Span<float>(), state[i]);
            else Update<double>(parameter.Span<double>(), gradient.Span<double>(), state[i]);
        }
    }

    /// <summary>Zeroed state buffers for every parameter, created outside any <see cref="TensorScope"/> (they live as long as the optimizer).</summary>
    private Tensor[][] NewState() => TensorScope.Outside(() =>
        Parameters.Select(p => Enumerable.Range(0, BuffersPerParameter).Select(_ => Tensor.ZerosLike(p)).ToArray()).ToArray());

    private void ValidateGradients()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            var parameter = Parameters[i];
            if (parameter.Grad is Tensor gradient && (gradient.DType != parameter.DType || gradient.Shape != parameter.Shape))
                throw new ArgumentException(
                    $"{GetType().Name}.Step: the gradient of {ParameterLabel.Describe(ParameterLabel.OfIndex(i), parameter)} is " +
                    $"{gradient.DType.Name()} {gradient.Shape}; it must have the parameter's dtype and shape");
        }
    }

    private bool AllGradientsFinite()
    {
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i].Grad is Tensor gradient && !Finiteness.AllFinite(gradient))
                return false;
        return true;
    }

    private List<string> NonFiniteGradientParameters()
    {
        var atFault = new List<string>();
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i].Grad is Tensor gradient && !Finiteness.AllFinite(gradient))
                atFault.Add($"{ParameterLabel.Describe(ParameterLabel.OfIndex(i), Parameters[i])}: {Finiteness.Describe(gradient)}");
        return atFault;
    }

    /// <summary>Updates one parameter in place from its gradient and its state buffers (spans of the same length).</summary>
    protected abstract void Update<T>(Span<T> value, ReadOnlySpan<T> gradient, Tensor[] buffers) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>A typed span over a state buffer.</summary>
    protected static Span<T> Buffer<T>(Tensor buffer) where T : unmanaged => buffer.Span<T>();

    /// <summary>A double constant as T.</summary>
    protected static T Constant<T>(double value) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(value);

    /// <summary>The step count and every state buffer, by "step" and "{parameter}.{buffer}", for checkpoints.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(StepCount, DType.Float64) };
        if (state is null) return result;
        for (int i = 0; i < state.Length; i++)
            for (int k = 0; k < state[i].Length; k++)
                result[$"{i}.{k}"] = state[i][k].Detach();
        return result;
    }

    /// <summary>Restores what <see cref="StateDict"/> saved, so training resumes exactly.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> saved)
    {
        StepCount = saved.TryGetValue("step", out var step) ? (long)step.ToScalar() : 0;
        if (!saved.ContainsKey("0.0") || BuffersPerParameter == 0) { state = null; return; }
        state = NewState();
        for (int i = 0; i < state.Length; i++)
            for (int k = 0; k < state[i].Length; k++)
            {
                if (!saved.TryGetValue($"{i}.{k}", out var buffer))
                    throw new ArgumentException($"{GetType().Name}.LoadStateDict: buffer {i}.{k} is missing");
                state[i][k].CopyFrom(buffer);
            }
    }
}
