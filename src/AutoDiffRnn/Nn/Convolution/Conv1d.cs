namespace AutoDiffRnn.Nn;

/// <summary>
/// A 1-D convolution layer as <c>torch.nn.Conv1d</c>: weight [out, in/groups, k] and bias [out], both initialised
/// U(−1/√fan_in, 1/√fan_in) with fan_in = in/groups · k.
/// </summary>
public sealed class Conv1d : Module
{
    /// <summary>Creates the layer; <paramref name="padding"/> is an int, <see cref="Padding.Sides"/>, Same or Valid.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding padding = default, int dilation = 1,
        int groups = 1, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0 || kernelSize <= 0)
            throw new ArgumentException(
                $"Conv1d: channels, groups and kernel must be positive, got in={inChannels}, out={outChannels}, groups={groups}, kernel={kernelSize}");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv1d: in={inChannels} and out={outChannels} channels must both be divisible by groups={groups}");
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize);
        Weight = RegisterParameter("weight", UniformInit(new Shape(outChannels, inChannels / groups, kernelSize), bound, dtype, generator));
        Bias = bias ? RegisterParameter("bias", UniformInit(new Shape(outChannels), bound, dtype, generator)) : null;
    }

    /// <summary>The weight [out, in/groups, k].</summary>
    public Tensor Weight { get; }

    /// <summary>The bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>The stride.</summary>
    public int Stride { get; }

    /// <summary>The zero padding.</summary>
    public Padding Padding { get; }

    /// <summary>The dilation.</summary>
    public int Dilation { get; }

    /// <summary>The number of groups.</summary>
    public int Groups { get; }

    /// <summary>Applies the layer to [N, in, L], giving [N, out, L'].</summary>
    public Tensor Forward(Tensor input) => Tensor.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}
