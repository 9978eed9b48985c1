namespace AutoDiffRnn.Nn;

/// <summary>
/// A 2-D convolution layer as <c>torch.nn.Conv2d</c>: weight [out, in/groups, kH, kW] and bias [out], both initialised
/// U(−1/√fan_in, 1/√fan_in) with fan_in = in/groups · kH · kW (PyTorch's kaiming-uniform with a = √5).
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer; <paramref name="padding"/> may be explicit, <see cref="Padding.Same"/> or <see cref="Padding.Valid"/>.</summary>
    public Conv2d(int inChannels, int outChannels, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
        Padding padding = default, (int Height, int Width)? dilation = null, int groups = 1, bool bias = true,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0 || kernelSize.Height <= 0 || kernelSize.Width <= 0)
            throw new ArgumentException(
                $"Conv2d: channels, groups and kernel must be positive, got in={inChannels}, out={outChannels}, groups={groups}, kernel={kernelSize}");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in={inChannels} and out={outChannels} channels must both be divisible by groups={groups}");
        Stride = stride ?? (1, 1);
        Padding = padding;
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        int fanIn = inChannels / groups * kernelSize.Height * kernelSize.Width;
        double bound = 1 / Math.Sqrt(fanIn);
        Weight = RegisterParameter("weight", UniformInit(new Shape(outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width), bound, dtype, generator));
        Bias = bias ? RegisterParameter("bias", UniformInit(new Shape(outChannels), bound, dtype, generator)) : null;
    }

    /// <summary>A square kernel with the same stride and dilation along both axes.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding padding = default, int dilation = 1,
        int groups = 1, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), padding, (dilation, dilation), groups, bias, dtype, generator)
    {
    }

    /// <summary>The weight [out, in/groups, kH, kW].</summary>
    public Tensor Weight { get; }

    /// <summary>The bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>The stride (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>The zero padding.</summary>
    public Padding Padding { get; }

    /// <summary>The dilation (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>The number of groups the channels are split into.</summary>
    public int Groups { get; }

    /// <summary>Applies the layer to [N, in, H, W], giving [N, out, H', W'].</summary>
    public Tensor Forward(Tensor input) => Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}
