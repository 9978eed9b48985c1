using System.Numerics.Tensors;

namespace AutoDiffRnn.Optim;

/// <summary>Gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c> (in place on each Grad).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together so their global L2 norm is at most <paramref name="maxNorm"/> (by maxNorm / (norm + 1e-6), as PyTorch);
    /// returns the norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var gradients = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double squares = 0;
        foreach (var g in gradients)
            squares += g.DType == DType.Float32 ? (double)TensorPrimitives.SumOfSquares<float>(g.Span<float>()) : TensorPrimitives.SumOfSquares<double>(g.Span<double>());
        double norm = Math.Sqrt(squares);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
            foreach (var g in gradients)
            {
                if (g.DType == DType.Float32) TensorPrimitives.Multiply(g.Span<float>(), (float)scale, g.Span<float>());
                else TensorPrimitives.Multiply(g.Span<double>(), scale, g.Span<double>());
            }
        return norm;
    }

    /// <summary>Clamps every gradient element into [−limit, limit].</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double limit)
    {
        if (!(limit >= 0)) throw new ArgumentOutOfRangeException(nameof(limit), $"ClipGradValue: the limit must be non-negative, got {limit}");
        foreach (var g in parameters.Select(p => p.Grad).OfType<Tensor>())
        {
            if (g.DType == DType.Float32) TensorPrimitives.Clamp(g.Span<float>(), (float)-limit, (float)limit, g.Span<float>());
            else TensorPrimitives.Clamp(g.Span<double>(), -limit, limit, g.Span<double>());
        }
    }
}
