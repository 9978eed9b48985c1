namespace AutoDiffRnn.Losses;

/// <summary>How per-element losses are combined.</summary>
public enum Reduction
{
    /// <summary>The average over the counted elements.</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,
}

/// <summary>Loss functions, as <c>torch.nn.functional</c>'s, built from differentiable ops.</summary>
public static class Loss
{
    /// <summary>
    /// Cross-entropy of logits [N, C] against class indices (N of them): −log softmax(logits)[i, target i], computed stably through
    /// log_softmax. Targets equal to <paramref name="ignoreIndex"/> (padding) count for nothing; the mean is over the counted ones.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, int ignoreIndex = -100, Reduction reduction = Reduction.Mean) =>
        NegativeLogLikelihood(logits.LogSoftmax(-1), targets, ignoreIndex, reduction);

    /// <summary>Negative log-likelihood of log-probabilities [N, C] against class indices (see <see cref="CrossEntropy"/>).</summary>
    public static Tensor NegativeLogLikelihood(Tensor logProbabilities, int[] targets, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        if (logProbabilities.Rank != 2 || logProbabilities.Shape[0] != targets.Length)
            throw new ArgumentException($"nll: expected [N, C] scores for {targets.Length} targets, got {logProbabilities.Shape}");
        int classes = logProbabilities.Shape[1];
        int counted = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] == ignoreIndex) continue;
            if (targets[i] < 0 || targets[i] >= classes)
                throw new ArgumentOutOfRangeException(nameof(targets), $"nll: target {targets[i]} at position {i} is outside [0, {classes})");
            counted++;
        }
        if (counted == 0)
            return reduction == Reduction.Sum ? (logProbabilities * 0.0).Sum() : (logProbabilities * 0.0).Sum() / 0.0; // NaN mean, as PyTorch
        var picked = new int[counted]; // flat positions of the target scores, sized once (no list growing every step)
        for (int i = 0, next = 0; i < targets.Length; i++)
            if (targets[i] != ignoreIndex) picked[next++] = i * classes + targets[i];
        // picked is handed to index_select (nothing else holds it), which keeps it for its backward without a copy
        var total = -IndexSelectOp.Apply(logProbabilities.Reshape(-1), 0, picked, copyIndices: false).Sum();
        return reduction == Reduction.Sum ? total : total * (1.0 / counted);
    }

    /// <summary>Mean (or summed) squared error.</summary>
    public static Tensor MeanSquaredError(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        if (prediction.Shape != target.Shape)
            throw new ArgumentException($"mse: prediction {prediction.Shape} and target {target.Shape} must have the same shape");
        var squares = (prediction - target).Pow(2);
        return reduction == Reduction.Sum ? squares.Sum() : squares.Mean();
    }

    /// <summary>Binary cross-entropy of logits against targets in [0, 1]: max(x, 0) − x·y + log(1 + e^−|x|), stable for any logit.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        if (logits.Shape != targets.Shape)
            throw new ArgumentException($"binary_cross_entropy_with_logits: logits {logits.Shape} and targets {targets.Shape} must have the same shape");
        var losses = logits.Relu() - logits * targets + (-logits.Abs()).Softplus();
        return reduction == Reduction.Sum ? losses.Sum() : losses.Mean();
    }

    /// <summary>
    /// A per-time-step loss [T, B] (or any shape) masked to the valid steps (mask of 1s and 0s, same shape): the sum over valid steps,
    /// or the mean over them.
    /// </summary>
    public static Tensor Masked(Tensor stepLosses, Tensor mask, Reduction reduction = Reduction.Mean)
    {
        if (stepLosses.Shape != mask.Shape)
            throw new ArgumentException($"masked loss: losses {stepLosses.Shape} and mask {mask.Shape} must have the same shape");
        var total = (stepLosses * mask).Sum();
        return reduction == Reduction.Sum ? total : total / mask.Sum();
    }
}
