using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace AutoDiffRnn;

internal static partial class DirectConvolution
{
    /// <summary>Whether <see cref="InputGradient{T}"/> applies: stride 1 both ways, 256-bit vectors, and a group's padded output
    /// gradient small enough for L2 (<see cref="DirectConvolutionPlan.MaximumPaddedGroupInput"/>).</summary>
    public static bool SupportsInputGradient<T>(ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Vector256.IsHardwareAccelerated || g.StrideHeight != 1 || g.StrideWidth != 1) return false;
        int lanes = Vector256<T>.Count;
        long rows = g.Height + g.PadTop + (g.KernelHeight - 1) * g.DilationHeight;
        long columns = (g.Width + lanes - 1) / lanes * lanes + g.PadLeft + (g.KernelWidth - 1) * g.DilationWidth;
        return g.OutPerGroup * rows * columns <= DirectConvolutionPlan.MaximumPaddedGroupInput;
    }

    /// <summary>
    /// dX[n, c, ih, iw] = Σ over o, i, j of W[o, c, i, j] · G[n, o, ih + top − i·dH, iw + left − j·dW] (stride 1, terms outside G
    /// dropped): a direct convolution of the output gradient, padded with (kH − 1)·dH zero rows above and (kW − 1)·dW zero columns
    /// on the left (and as many as the slots need below and on the right), with the kernel flipped and its channels swapped. It runs
    /// on the forward pass's kernel (four input channels × three slots per block), the samples split over the cores.
    /// </summary>
    public static void InputGradient<T>(ConvGeometry g, Tensor outputGradient, Tensor weight, Tensor inputGradient, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layout = new TransposedLayout(g, Vector256<T>.Count);
        const int block = DirectConvolutionPlan.ChannelBlock;
        int blocks = (g.InPerGroup + block - 1) / block, taps = layout.TapOffsets.Length;
        int packedSize = g.Groups * blocks * taps * block;
        var packed = ArrayPool<T>.Shared.Rent(packedSize);
        try
        {
            PackTransposedWeights(g, weight.Span<T>(), packed.AsSpan(0, packedSize), blocks);
            ForEachPart(g.Batch, parts, (first, count) =>
            {
                var padded = ArrayPool<T>.Shared.Rent(layout.GroupSize);
                try
                {
                    for (int n = first; n < first + count; n++)
                        for (int group = 0; group < g.Groups; group++)
                        {
                            layout.Pad(outputGradient.Span<T>().Slice((n * g.OutChannels + group * g.OutPerGroup) * g.OutputPlane,
                                g.OutPerGroup * g.OutputPlane), padded);
                            InputGradientGroup<T>(g, layout, padded, packed, inputGradient, n, group, blocks);
                        }
                }
                finally { ArrayPool<T>.Shared.Return(padded); }
            });
        }
        finally { ArrayPool<T>.Shared.Return(packed); }
    }

    /// <summary>W [O, C/groups, kH, kW] regrouped per group and block of four input channels c as [taps (o, i, j)][4] (zeros past the
    /// group's last channel); the flip is in the taps' offsets (<see cref="TransposedLayout"/>).</summary>
    private static void PackTransposedWeights<T>(ConvGeometry g, ReadOnlySpan<T> weight, Span<T> packed, int blocks) where T : unmanaged, INumberBase<T>
    {
        const int block = DirectConvolutionPlan.ChannelBlock;
        int kernel = g.KernelHeight * g.KernelWidth, taps = g.OutPerGroup * kernel;
        for (int group = 0; group < g.Groups; group++)
            for (int b = 0; b < blocks; b++)
            {
                var target = packed.Slice((group * blocks + b) * taps * block, taps * block);
                for (int q = 0; q < block; q++)
                {
                    int c = b * block + q;
                    for (int o = 0; o < g.OutPerGroup; o++)
                        for (int k = 0; k < kernel; k++)
                            target[(o * kernel + k) * block + q] = c < g.InPerGroup
                                ? weight[((group * g.OutPerGroup + o) * g.InPerGroup + c) * kernel + k]
                                : T.Zero;
                }
            }
    }

    private static unsafe void InputGradientGroup<T>(ConvGeometry g, TransposedLayout layout, T[] padded, T[] packed, Tensor inputGradient,
        int n, int group, int blocks)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int block = DirectConvolutionPlan.ChannelBlock;
        int plane = g.InputPlane, slots = layout.SlotInput.Length, taps = layout.TapOffsets.Length;
        fixed (T* x = padded, w = packed, y = inputGradient.Span<T>())
        fixed (int* tapOffsets = layout.TapOffsets, slotInput = layout.SlotInput, slotOutput = layout.SlotOutput, slotValid = layout.SlotValid)
        {
            for (int blockIndex = 0; blockIndex < blocks; blockIndex++)
            {
                int c0 = blockIndex * block, channels = Math.Min(block, g.InPerGroup - c0);
                int channel = group * g.InPerGroup + c0;
                T* weights = w + (nint)(group * blocks + blockIndex) * taps * block;
                var biases = new Biases<T>(null, 0, 0);
                var target = new Target<T>(y + ((nint)n * g.InChannels + channel) * plane, plane, channels, slotOutput, slotValid, Vector256<T>.Count);
                int s = 0;
                for (; s + 3 <= slots; s += 3)
                    Block<T, ThreeSlots>(taps, weights, tapOffsets, x, slotInput + s, biases, target, s);
                if (slots - s == 2) Block<T, TwoSlots>(taps, weights, tapOffsets, x, slotInput + s, biases, target, s);
                else if (slots - s == 1) Block<T, OneSlot>(taps, weights, tapOffsets, x, slotInput + s, biases, target, s);
            }
        }
    }

    /// <summary>
    /// The layout of the input gradient's direct convolution: one group's output-gradient planes padded to <see cref="Rows"/> ×
    /// <see cref="Columns"/> (gradient row oh at row oh + (kH − 1)·dH, column ow at column ow + (kW − 1)·dW, zeros elsewhere); slots of
    /// up to one vector of consecutive inputs of an input row; tap (o, i, j) at offset o·plane + (kH − 1 − i)·dH·Columns + (kW − 1 − j)·dW
    /// from the slot's (ih + top)·Columns + iw + left.
    /// </summary>
    private sealed class TransposedLayout
    {
        private readonly ConvGeometry geometry;
        private readonly int top, left;

        public TransposedLayout(ConvGeometry g, int lanes)
        {
            geometry = g;
            top = (g.KernelHeight - 1) * g.DilationHeight;
            left = (g.KernelWidth - 1) * g.DilationWidth;
            int slotsPerRow = (g.Width + lanes - 1) / lanes;
            Columns = slotsPerRow * lanes + g.PadLeft + left;
            Rows = g.Height + g.PadTop + top;
            Plane = Rows * Columns;
            GroupSize = g.OutPerGroup * Plane + lanes;
            int slots = g.Height * slotsPerRow;
            SlotInput = new int[slots];
            SlotOutput = new int[slots];
            SlotValid = new int[slots];
            for (int ih = 0; ih < g.Height; ih++)
                for (int k = 0; k < slotsPerRow; k++)
                {
                    int slot = ih * slotsPerRow + k, iw = k * lanes;
                    SlotInput[slot] = (ih + g.PadTop) * Columns + iw + g.PadLeft;
                    SlotOutput[slot] = ih * g.Width + iw;
                    SlotValid[slot] = Math.Min(lanes, g.Width - iw);
                }
            TapOffsets = new int[g.OutPerGroup * g.KernelHeight * g.KernelWidth];
            for (int o = 0; o < g.OutPerGroup; o++)
                for (int i = 0; i < g.KernelHeight; i++)
                    for (int j = 0; j < g.KernelWidth; j++)
                        TapOffsets[(o * g.KernelHeight + i) * g.KernelWidth + j] =
                            o * Plane + (g.KernelHeight - 1 - i) * g.DilationHeight * Columns + (g.KernelWidth - 1 - j) * g.DilationWidth;
        }

        /// <summary>Rows of a padded gradient plane: every row a tap of an input row reads.</summary>
        public int Rows { get; }

        /// <summary>Columns of a padded gradient plane: every column a tap of a slot's lanes reads.</summary>
        public int Columns { get; }

        /// <summary>Elements of a padded gradient plane.</summary>
        public int Plane { get; }

        /// <summary>Elements of one sample's padded gradient for one group, with a vector of zero slack.</summary>
        public int GroupSize { get; }

        /// <summary>Per slot: (ih + top)·Columns + iw + left, to which a tap's offset is added.</summary>
        public int[] SlotInput { get; }

        /// <summary>Per slot: the offset of its first input in the input plane.</summary>
        public int[] SlotOutput { get; }

        /// <summary>Per slot: how many of its lanes are inputs.</summary>
        public int[] SlotValid { get; }

        /// <summary>Per tap (o, i, j): its offset in the padded planes.</summary>
        public int[] TapOffsets { get; }

        /// <summary>Copies the group's output-gradient planes into <paramref name="padded"/> (<see cref="GroupSize"/> elements) with zeros around them.</summary>
        public void Pad<T>(ReadOnlySpan<T> gradient, Span<T> padded) where T : unmanaged
        {
            var g = geometry;
            padded[..GroupSize].Clear();
            int rows = Math.Min(g.OutHeight, Rows - top), columns = Math.Min(g.OutWidth, Columns - left);
            for (int o = 0; o < g.OutPerGroup; o++)
                for (int oh = 0; oh < rows; oh++)
                    gradient.Slice(o * g.OutputPlane + oh * g.OutWidth, columns)
                        .CopyTo(padded.Slice(o * Plane + (oh + top) * Columns + left, columns));
        }
    }
}
