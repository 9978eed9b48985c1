using System.Numerics.Tensors;

namespace AutoDiffRnn.Optim;

/// <summary>Gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c> (in place on each Grad).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together so their global L2 norm is at most <paramref name="maxNorm"/> (by maxNorm / (norm + 1e-6), as PyTorch);
    /// returns the norm before clipping. The norm is accumulated in float64 (and rescaled if even that overflows), so finite float32
    /// gradients such as 4e19 give their true norm and are scaled, never zeroed.
    /// </summary>
    /// <param name="parameters">The parameters whose <see cref="Tensor.Grad"/> is clipped (those without a gradient are ignored).</param>
    /// <param name="maxNorm">The largest norm allowed: positive and finite.</param>
    /// <param name="errorIfNonfinite">
    /// As PyTorch's <c>error_if_nonfinite</c>, but on by default: a gradient holding NaN or infinity throws a
    /// <see cref="NonFiniteGradientException"/> naming the parameters at fault, and nothing is changed. When false, the gradients are
    /// scaled by the non-finite norm as PyTorch does (NaN everywhere), and the NaN or infinite norm is returned.
    /// </param>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, bool errorIfNonfinite = true) =>
        ClipGradNorm(parameters.Select((parameter, index) => (ParameterLabel.OfIndex(index), parameter)), maxNorm, errorIfNonfinite);

    /// <summary>
    /// <see cref="ClipGradNorm(IEnumerable{Tensor}, double, bool)"/> over named parameters (e.g. <c>Module.NamedParameters()</c>),
    /// so that an error names them.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<(string Name, Tensor Parameter)> namedParameters, double maxNorm, bool errorIfNonfinite = true)
    {
        if (!(maxNorm > 0) || !double.IsFinite(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"ClipGradNorm: maxNorm must be positive and finite, got {maxNorm}");
        var gradients = namedParameters.Where(p => p.Parameter.Grad is not null).Select(p => (p.Name, p.Parameter, Grad: p.Parameter.Grad!)).ToList();
        double norm = GlobalNorm(gradients.Select(g => g.Grad));
        if (!double.IsFinite(norm) && errorIfNonfinite)
        {
            var atFault = gradients.Where(g => !Finiteness.AllFinite(g.Grad))
                .Select(g => $"{ParameterLabel.Describe(g.Name, g.Parameter)}: {Finiteness.Describe(g.Grad)}").ToList();
            throw new NonFiniteGradientException(
                $"ClipGradNorm: the total gradient norm is {norm}, so it cannot be clipped; non-finite gradients in {string.Join("; ", atFault)}. " +
                "Pass errorIfNonfinite: false to scale by the non-finite norm anyway (as PyTorch), or use anomaly mode (Anomaly.Detect()) to find the op that produced them",
                atFault);
        }
        double scale = Math.Min(maxNorm / (norm + 1e-6), 1.0); // NaN stays NaN, as torch.clamp
        if (!(scale >= 1))
            foreach (var (_, _, g) in gradients)
            {
                if (g.DType == DType.Float32) TensorPrimitives.Multiply(g.Span<float>(), (float)scale, g.Span<float>());
                else TensorPrimitives.Multiply(g.Span<double>(), scale, g.Span<double>());
            }
        return norm;
    }

    /// <summary>Clamps every gradient element into [−limit, limit]; <paramref name="limit"/> must be non-negative (not NaN).</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double limit)
    {
        if (!(limit >= 0)) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"ClipGradValue: the limit must be non-negative, got {limit}");
        foreach (var g in parameters.Select(p => p.Grad).OfType<Tensor>())
        {
            if (g.DType == DType.Float32) TensorPrimitives.Clamp(g.Span<float>(), (float)-limit, (float)limit, g.Span<float>());
            else TensorPrimitives.Clamp(g.Span<double>(), -limit, limit, g.Span<double>());
        }
    }

    /// <summary>The L2 norm of all the gradients together, in float64; NaN or infinity only if some element is.</summary>
    internal static double GlobalNorm(IEnumerable<Tensor> gradients)
    {
        var list = gradients.ToList();
        double squares = 0;
        foreach (var g in list)
            squares += g.DType == DType.Float32 ? SumOfSquaresInFloat64(g.Span<float>()) : TensorPrimitives.SumOfSquares<double>(g.Span<double>());
        if (!double.IsPositiveInfinity(squares) || !list.All(Finiteness.AllFinite))
            return Math.Sqrt(squares);
        // finite float64 gradients whose squares overflow: divide by the largest magnitude first
        double largest = list.Max(g => g.DType == DType.Float32
            ? Math.Abs((double)TensorPrimitives.MaxMagnitude<float>(g.Span<float>()))
            : Math.Abs(TensorPrimitives.MaxMagnitude<double>(g.Span<double>())));
        double scaled = 0;
        Span<double> chunk = stackalloc double[ChunkLength];
        foreach (var g in list)
        {
            ReadOnlySpan<double> values = g.DType == DType.Float64 ? g.Span<double>() : [];
            var floats = g.DType == DType.Float32 ? g.Span<float>() : [];
            int length = g.ElementCount;
            for (int start = 0; start < length; start += ChunkLength)
            {
                var part = chunk[..Math.Min(ChunkLength, length - start)];
                if (g.DType == DType.Float32) TensorPrimitives.ConvertTruncating<float, double>(floats.Slice(start, part.Length), part);
                else values.Slice(start, part.Length).CopyTo(part);
                TensorPrimitives.Divide(part, largest, part);
                scaled += TensorPrimitives.SumOfSquares<double>(part);
            }
        }
        return largest * Math.Sqrt(scaled);
    }

    private const int ChunkLength = 256;

    /// <summary>Σ x² of float32 values accumulated in float64 (widened a chunk at a time on the stack), so it cannot overflow.</summary>
    private static double SumOfSquaresInFloat64(ReadOnlySpan<float> values)
    {
        Span<double> chunk = stackalloc double[ChunkLength];
        double sum = 0;
        for (int start = 0; start < values.Length; start += ChunkLength)
        {
            var part = chunk[..Math.Min(ChunkLength, values.Length - start)];
            TensorPrimitives.ConvertTruncating<float, double>(values.Slice(start, part.Length), part);
            sum += TensorPrimitives.SumOfSquares<double>(part);
        }
        return sum;
    }
}
