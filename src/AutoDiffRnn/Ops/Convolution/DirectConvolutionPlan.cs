using System.Numerics;
using System.Runtime.Intrinsics;

namespace AutoDiffRnn;

/// <summary>
/// The layout the direct convolution kernels (<see cref="DirectConvolution"/>) work in, for one geometry with stride 1 along the
/// width. Each group's input planes are copied with their zero padding into a buffer of <see cref="PaddedHeight"/> ×
/// <see cref="PaddedWidth"/> planes, so every tap of every output reads inside it. The output positions are cut into slots: a slot is
/// up to one 256-bit vector of consecutive outputs of one output row, and reads, for tap r (input channel c, kernel row i, kernel
/// column j), the consecutive padded inputs from <see cref="SlotInput"/>[slot] + <see cref="TapOffsets"/>[r]. A convolution is then
/// a sum over taps of broadcast weights times unaligned vector loads of the padded input: no im2col matrix is built.
/// </summary>
internal sealed class DirectConvolutionPlan
{
    /// <summary>Taps a block of the weight-gradient kernel handles at once; <see cref="TapOffsets"/> is padded to a multiple of it.</summary>
    public const int TapBlock = 3;

    /// <summary>Output channels a block of either kernel handles at once.</summary>
    public const int ChannelBlock = 4;

    /// <summary>
    /// Elements of one group's padded input above which the direct path is not taken (the taps then stride through more than L2
    /// holds, and the packed GEMM's blocking does better): 48K elements, 192 KB in float32.
    /// </summary>
    public const int MaximumPaddedGroupInput = 48 * 1024;

    private DirectConvolutionPlan(ConvGeometry geometry, int lanes)
    {
        Geometry = geometry;
        Lanes = lanes;
        PaddedHeight = geometry.Height + geometry.PadTop + geometry.PadBottom;
        SlotsPerRow = (geometry.OutWidth + lanes - 1) / lanes;
        PaddedWidth = Math.Max(geometry.Width + geometry.PadLeft + geometry.PadRight,
            SlotsPerRow * lanes + (geometry.KernelWidth - 1) * geometry.DilationWidth);
        PaddedPlane = PaddedHeight * PaddedWidth;
        Slots = geometry.OutHeight * SlotsPerRow;
        SlotInput = new int[Slots];
        SlotOutput = new int[Slots];
        SlotValid = new int[Slots];
        for (int oh = 0; oh < geometry.OutHeight; oh++)
            for (int k = 0; k < SlotsPerRow; k++)
            {
                int slot = oh * SlotsPerRow + k, ow = k * lanes;
                SlotInput[slot] = oh * geometry.StrideHeight * PaddedWidth + ow;
                SlotOutput[slot] = oh * geometry.OutWidth + ow;
                SlotValid[slot] = Math.Min(lanes, geometry.OutWidth - ow);
            }
        Taps = geometry.ColumnRows;
        TapOffsets = new int[(Taps + TapBlock - 1) / TapBlock * TapBlock];
        for (int c = 0; c < geometry.InPerGroup; c++)
            for (int i = 0; i < geometry.KernelHeight; i++)
                for (int j = 0; j < geometry.KernelWidth; j++)
                    TapOffsets[(c * geometry.KernelHeight + i) * geometry.KernelWidth + j] =
                        c * PaddedPlane + i * geometry.DilationHeight * PaddedWidth + j * geometry.DilationWidth;
    }

    /// <summary>The convolution.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>Elements of T in a 256-bit vector: the width of a slot.</summary>
    public int Lanes { get; }

    /// <summary>Rows of a padded input plane: the input's height plus the top and bottom padding.</summary>
    public int PaddedHeight { get; }

    /// <summary>Columns of a padded input plane: the input's width plus the left and right padding, and more zeros on the right if
    /// needed for the lanes of each row's last slot past the row's outputs to read zeros in its own row.</summary>
    public int PaddedWidth { get; }

    /// <summary>Elements of a padded input plane.</summary>
    public int PaddedPlane { get; }

    /// <summary>Elements of one sample's padded input for one group, with <see cref="Lanes"/> zeros of slack at the end.</summary>
    public int PaddedGroupInput => Geometry.InPerGroup * PaddedPlane + Lanes;

    /// <summary>Slots per output row: ⌈OutWidth / Lanes⌉.</summary>
    public int SlotsPerRow { get; }

    /// <summary>Slots of an output plane.</summary>
    public int Slots { get; }

    /// <summary>Per slot: the offset in the padded group input of the first output's tap (0, 0, 0).</summary>
    public int[] SlotInput { get; }

    /// <summary>Per slot: the offset of its first output in the output plane.</summary>
    public int[] SlotOutput { get; }

    /// <summary>Per slot: how many of its lanes are outputs (<see cref="Lanes"/> except at the end of a row).</summary>
    public int[] SlotValid { get; }

    /// <summary>Whether every slot is a full vector (the output width is a multiple of <see cref="Lanes"/>): slot s is then outputs
    /// [s·Lanes, (s + 1)·Lanes) of the plane.</summary>
    public bool FullSlots => Geometry.OutWidth % Lanes == 0;

    /// <summary>Taps per output channel: input channels per group × kernel height × kernel width.</summary>
    public int Taps { get; }

    /// <summary>Per tap (c, i, j) in row-major order: c·PaddedPlane + i·dH·PaddedWidth + j·dW; zeros pad it to a multiple of
    /// <see cref="TapBlock"/>.</summary>
    public int[] TapOffsets { get; }

    /// <summary>
    /// The plan for <paramref name="geometry"/> in <typeparamref name="T"/>, or null where the direct kernels do not apply: a stride
    /// along the width other than 1, no 256-bit vectors, or a group input too large for L2.
    /// </summary>
    public static DirectConvolutionPlan? For<T>(ConvGeometry geometry) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Vector256.IsHardwareAccelerated || geometry.StrideWidth != 1) return null;
        int lanes = Vector256<T>.Count;
        long paddedGroupInput = (long)geometry.InPerGroup
            * (geometry.Height + geometry.PadTop + geometry.PadBottom) * (geometry.Width + geometry.PadLeft + geometry.PadRight);
        if (paddedGroupInput > MaximumPaddedGroupInput) return null;
        return new DirectConvolutionPlan(geometry, lanes);
    }

    /// <summary>
    /// Copies the input planes [InPerGroup, H, W] of group <paramref name="group"/> of sample <paramref name="sample"/> of the whole
    /// <paramref name="batch"/> [N, C, H, W] into <paramref name="padded"/> (<see cref="PaddedGroupInput"/> elements) with the zero
    /// padding around each plane and zero slack at the end (once per sample and group, before the kernels' loops).
    /// </summary>
    public void PadGroup<T>(ReadOnlySpan<T> batch, int sample, int group, Span<T> padded) where T : unmanaged
    {
        var g = Geometry;
        var input = batch.Slice((sample * g.InChannels + group * g.InPerGroup) * g.InputPlane, g.InPerGroup * g.InputPlane);
        if (PaddedHeight == g.Height && PaddedWidth == g.Width)
        {
            input[..(g.InPerGroup * g.InputPlane)].CopyTo(padded);
            padded[(g.InPerGroup * g.InputPlane)..PaddedGroupInput].Clear();
            return;
        }
        padded[..PaddedGroupInput].Clear();
        for (int c = 0; c < g.InPerGroup; c++)
        {
            var plane = input.Slice(c * g.InputPlane, g.InputPlane);
            var target = padded[(c * PaddedPlane + g.PadTop * PaddedWidth + g.PadLeft)..];
            for (int h = 0; h < g.Height; h++)
                plane.Slice(h * g.Width, g.Width).CopyTo(target.Slice(h * PaddedWidth, g.Width));
        }
    }
}
