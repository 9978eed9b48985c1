namespace AutoDiffRnn;

/// <summary>How a convolution pads its input with zeros.</summary>
public enum PaddingMode
{
    /// <summary>The given number of zeros on each side (<see cref="Padding.Top"/>, <see cref="Padding.Bottom"/>, ...).</summary>
    Explicit,
    /// <summary>
    /// TensorFlow's <c>SAME</c>: the output has ⌈input / stride⌉ positions; the padding needed for that is split with the odd
    /// zero after (bottom / right). For stride 1 this is also PyTorch's <c>padding="same"</c>.
    /// </summary>
    Same,
    /// <summary>TensorFlow's <c>VALID</c>: no padding, only positions where the kernel fits inside the input.</summary>
    Valid,
}

/// <summary>
/// The zero padding of a convolution: explicit sizes per side, <see cref="Same"/> or <see cref="Valid"/>.
/// An int converts to the same padding on every side; <c>default</c> is no padding.
/// </summary>
public readonly record struct Padding(PaddingMode Mode, int Top, int Bottom, int Left, int Right)
{
    /// <summary>TensorFlow's <c>SAME</c> (see <see cref="PaddingMode.Same"/>).</summary>
    public static Padding Same => new(PaddingMode.Same, 0, 0, 0, 0);

    /// <summary>TensorFlow's <c>VALID</c>: no padding.</summary>
    public static Padding Valid => new(PaddingMode.Valid, 0, 0, 0, 0);

    /// <summary><paramref name="size"/> zeros on every side.</summary>
    public static Padding Symmetric(int size) => new(PaddingMode.Explicit, size, size, size, size);

    /// <summary><paramref name="height"/> zeros above and below, <paramref name="width"/> left and right (PyTorch's pair).</summary>
    public static Padding Of(int height, int width) => new(PaddingMode.Explicit, height, height, width, width);

    /// <summary>A different number of zeros on each side (asymmetric padding).</summary>
    public static Padding PerSide(int top, int bottom, int left, int right) => new(PaddingMode.Explicit, top, bottom, left, right);

    /// <summary>For 1-D convolutions: <paramref name="before"/> zeros at the start and <paramref name="after"/> at the end.</summary>
    public static Padding Sides(int before, int after) => new(PaddingMode.Explicit, 0, 0, before, after);

    /// <summary>The same number of zeros on every side.</summary>
    public static implicit operator Padding(int size) => Symmetric(size);

    /// <summary>
    /// The zeros (before, after) along one spatial axis of <paramref name="inputSize"/> for a kernel of <paramref name="kernelSize"/>
    /// taps, <paramref name="stride"/> and <paramref name="dilation"/>; <paramref name="vertical"/> picks top/bottom over left/right.
    /// </summary>
    internal (int Before, int After) Resolve(bool vertical, int inputSize, int kernelSize, int stride, int dilation)
    {
        switch (Mode)
        {
            case PaddingMode.Valid: return (0, 0);
            case PaddingMode.Same:
                int output = (inputSize + stride - 1) / stride;
                int total = Math.Max((output - 1) * stride + (kernelSize - 1) * dilation + 1 - inputSize, 0);
                return (total / 2, total - total / 2);
            default: return vertical ? (Top, Bottom) : (Left, Right);
        }
    }

    /// <summary>"same", "valid" or the four sides.</summary>
    public override string ToString() => Mode switch
    {
        PaddingMode.Same => "same",
        PaddingMode.Valid => "valid",
        _ => $"(top {Top}, bottom {Bottom}, left {Left}, right {Right})",
    };
}
