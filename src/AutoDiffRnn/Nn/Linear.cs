namespace AutoDiffRnn.Nn;

/// <summary>
/// A fully connected layer y = x Wᵀ + b over the last dimension, as <c>torch.nn.Linear</c>: weight [out, in], bias [out],
/// both initialized U(−1/√in, 1/√in).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: feature counts must be positive, got in={inFeatures}, out={outFeatures}");
        double bound = 1 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", UniformInit(new Shape(outFeatures, inFeatures), bound, dtype, generator));
        Bias = bias ? RegisterParameter("bias", UniformInit(new Shape(outFeatures), bound, dtype, generator)) : null;
    }

    /// <summary>The weight [out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>The bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Applies the layer to [*, in], giving [*, out].</summary>
    public Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);
}

/// <summary>Dropout as a module: active in training mode only (see <see cref="Tensor.Dropout"/>).</summary>
public sealed class Dropout(double probability, Generator? generator = null) : Module
{
    /// <summary>The probability of zeroing an element.</summary>
    public double Probability { get; } = probability >= 0 && probability <= 1
        ? probability
        : throw new ArgumentOutOfRangeException(nameof(probability), $"Dropout: the probability must be in [0, 1], got {probability}");

    /// <summary>Applies dropout in training mode; the identity in evaluation mode.</summary>
    public Tensor Forward(Tensor input) => input.Dropout(Probability, IsTraining, generator);
}
