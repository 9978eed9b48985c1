using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// The direct convolution kernels (stride 1 along the width; <see cref="DirectConvolutionPlan"/>): the forward pass here, the weight
/// gradient in <c>DirectConvolutionWeightGradient.cs</c>. They compute what im2col and the GEMM would, without the column matrix.
/// </summary>
internal static partial class DirectConvolution
{
    /// <summary>How many slots a forward kernel call handles: 1, 2 or 3 (a compile-time constant of each specialization).</summary>
    private interface ISlotCount
    {
        static abstract int Value { get; }
    }

    private readonly struct OneSlot : ISlotCount { public static int Value => 1; }
    private readonly struct TwoSlots : ISlotCount { public static int Value => 2; }
    private readonly struct ThreeSlots : ISlotCount { public static int Value => 3; }

    /// <summary>
    /// y = conv2d(x, w) + b for every sample, the samples split into <paramref name="parts"/> over the cores. Per sample and group the
    /// input is padded once (<see cref="DirectConvolutionPlan.PadGroup{T}"/>); then for each block of four output channels and each run
    /// of three slots, twelve vector accumulators (4 channels × 3 slots) sum, over the taps, the broadcast weights times the input
    /// vectors at the tap's offset: 7 loads per 12 multiply-adds, all from L1 or L2.
    /// </summary>
    public static void Forward<T>(DirectConvolutionPlan plan, Tensor input, Tensor weight, Tensor? bias, Tensor output, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        int blocks = (g.OutPerGroup + DirectConvolutionPlan.ChannelBlock - 1) / DirectConvolutionPlan.ChannelBlock;
        int packedSize = g.Groups * blocks * plan.Taps * DirectConvolutionPlan.ChannelBlock;
        var packed = ArrayPool<T>.Shared.Rent(packedSize);
        try
        {
            PackWeights(plan, weight.Span<T>(), packed.AsSpan(0, packedSize));
            ForEachPart(g.Batch, parts, (first, count) =>
            {
                var padded = ArrayPool<T>.Shared.Rent(plan.PaddedGroupInput);
                try
                {
                    for (int n = first; n < first + count; n++)
                        for (int group = 0; group < g.Groups; group++)
                        {
                            plan.PadGroup<T>(input.Span<T>(), n, group, padded);
                            ForwardGroup<T>(plan, padded, packed, bias, output, n, group, blocks);
                        }
                }
                finally { ArrayPool<T>.Shared.Return(padded); }
            });
        }
        finally { ArrayPool<T>.Shared.Return(packed); }
    }

    /// <summary>Runs <paramref name="body"/>(first, count) over <paramref name="parts"/> parts of [0, total), in parallel when several.</summary>
    private static void ForEachPart(int total, int parts, Action<int, int> body)
    {
        parts = Math.Max(1, Math.Min(parts, total));
        if (parts == 1) { body(0, total); return; }
        Parallel.For(0, parts, part =>
        {
            int first = (int)((long)total * part / parts), end = (int)((long)total * (part + 1) / parts);
            if (end > first) body(first, end - first);
        });
    }

    /// <summary>
    /// The weight [O, taps] regrouped per group and block of four output channels as [taps][4] (a tap's four weights side by side,
    /// zeros for the channels past the group's last).
    /// </summary>
    private static void PackWeights<T>(DirectConvolutionPlan plan, ReadOnlySpan<T> weight, Span<T> packed) where T : unmanaged, INumberBase<T>
    {
        var g = plan.Geometry;
        const int block = DirectConvolutionPlan.ChannelBlock;
        int taps = plan.Taps, blocks = (g.OutPerGroup + block - 1) / block;
        for (int group = 0; group < g.Groups; group++)
            for (int b = 0; b < blocks; b++)
            {
                var target = packed.Slice((group * blocks + b) * taps * block, taps * block);
                for (int q = 0; q < block; q++)
                {
                    int o = b * block + q;
                    if (o >= g.OutPerGroup)
                    {
                        for (int r = 0; r < taps; r++) target[r * block + q] = T.Zero;
                        continue;
                    }
                    var row = weight.Slice((group * g.OutPerGroup + o) * taps, taps);
                    for (int r = 0; r < taps; r++) target[r * block + q] = row[r];
                }
            }
    }

    private static unsafe void ForwardGroup<T>(DirectConvolutionPlan plan, T[] padded, T[] packed, Tensor? bias, Tensor output, int n, int group, int blocks)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        const int block = DirectConvolutionPlan.ChannelBlock;
        int plane = g.OutputPlane, slots = plan.Slots;
        fixed (T* x = padded, w = packed, y = output.Span<T>(), b = bias is null ? default : bias.Span<T>())
        fixed (int* taps = plan.TapOffsets, slotInput = plan.SlotInput, slotOutput = plan.SlotOutput, slotValid = plan.SlotValid)
        {
            for (int blockIndex = 0; blockIndex < blocks; blockIndex++)
            {
                int o0 = blockIndex * block, channels = Math.Min(block, g.OutPerGroup - o0);
                int channel = group * g.OutPerGroup + o0;
                T* weights = w + (nint)(group * blocks + blockIndex) * plan.Taps * block;
                T* planes = y + ((nint)n * g.OutChannels + channel) * plane;
                var biases = new Biases<T>(b, channel, channels);
                var target = new Target<T>(planes, plane, channels, slotOutput, slotValid, Vector256<T>.Count);
                int s = 0;
                for (; s + 3 <= slots; s += 3)
                    Block<T, ThreeSlots>(plan.Taps, weights, taps, x, slotInput + s, biases, target, s);
                if (slots - s == 2) Block<T, TwoSlots>(plan.Taps, weights, taps, x, slotInput + s, biases, target, s);
                else if (slots - s == 1) Block<T, OneSlot>(plan.Taps, weights, taps, x, slotInput + s, biases, target, s);
            }
        }
    }

    /// <summary>The biases of a block's four channels (zero past its last channel, or without a bias).</summary>
    private readonly unsafe struct Biases<T>(T* bias, int channel, int channels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Vector256<T> Get(int q) => bias != null && q < channels ? Vector256.Create(bias[channel + q]) : Vector256<T>.Zero;
    }

    /// <summary>Where a block's results go: four output planes of <paramref name="plane"/> elements from <paramref name="planes"/>, the
    /// valid channels only, each slot's valid lanes only.</summary>
    private readonly unsafe struct Target<T>(T* planes, int plane, int channels, int* slotOutput, int* slotValid, int lanes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int q, int slot, Vector256<T> value)
        {
            if (q >= channels) return;
            T* destination = planes + (nint)q * plane + slotOutput[slot];
            int valid = slotValid[slot];
            if (valid == lanes) value.Store(destination);
            else
                for (int lane = 0; lane < valid; lane++) destination[lane] = value.GetElement(lane);
        }
    }

    /// <summary>Four output channels × <typeparamref name="TSlots"/> slots, summed over every tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block<T, TSlots>(int taps, T* weights, int* tapOffsets, T* x, int* slotInput, Biases<T> biases,
        Target<T> target, int slot)
        where T : unmanaged, IFloatingPointIeee754<T> where TSlots : struct, ISlotCount
    {
        Vector256<T> c00 = biases.Get(0), c10 = biases.Get(1), c20 = biases.Get(2), c30 = biases.Get(3);
        Vector256<T> c01 = c00, c11 = c10, c21 = c20, c31 = c30, c02 = c00, c12 = c10, c22 = c20, c32 = c30;
        T* x0 = x + slotInput[0];
        T* x1 = TSlots.Value > 1 ? x + slotInput[1] : x0;
        T* x2 = TSlots.Value > 2 ? x + slotInput[2] : x0;
        // The slots' input vectors first, then one broadcast weight at a time: 12 accumulators + 3 inputs + 1 weight fill the 16
        // vector registers of AVX2 exactly (four weights held at once would spill an accumulator every tap).
        for (int r = 0; r < taps; r++)
        {
            nint offset = tapOffsets[r];
            var v0 = Vector256.Load(x0 + offset);
            var v1 = TSlots.Value > 1 ? Vector256.Load(x1 + offset) : default;
            var v2 = TSlots.Value > 2 ? Vector256.Load(x2 + offset) : default;
            var a = Vector256.Create(weights[0]);
            c00 = VectorMath.MultiplyAdd(a, v0, c00);
            if (TSlots.Value > 1) c01 = VectorMath.MultiplyAdd(a, v1, c01);
            if (TSlots.Value > 2) c02 = VectorMath.MultiplyAdd(a, v2, c02);
            a = Vector256.Create(weights[1]);
            c10 = VectorMath.MultiplyAdd(a, v0, c10);
            if (TSlots.Value > 1) c11 = VectorMath.MultiplyAdd(a, v1, c11);
            if (TSlots.Value > 2) c12 = VectorMath.MultiplyAdd(a, v2, c12);
            a = Vector256.Create(weights[2]);
            c20 = VectorMath.MultiplyAdd(a, v0, c20);
            if (TSlots.Value > 1) c21 = VectorMath.MultiplyAdd(a, v1, c21);
            if (TSlots.Value > 2) c22 = VectorMath.MultiplyAdd(a, v2, c22);
            a = Vector256.Create(weights[3]);
            c30 = VectorMath.MultiplyAdd(a, v0, c30);
            if (TSlots.Value > 1) c31 = VectorMath.MultiplyAdd(a, v1, c31);
            if (TSlots.Value > 2) c32 = VectorMath.MultiplyAdd(a, v2, c32);
            weights += DirectConvolutionPlan.ChannelBlock;
        }
        target.Store(0, slot, c00); target.Store(1, slot, c10); target.Store(2, slot, c20); target.Store(3, slot, c30);
        if (TSlots.Value > 1)
        {
            target.Store(0, slot + 1, c01); target.Store(1, slot + 1, c11); target.Store(2, slot + 1, c21); target.Store(3, slot + 1, c31);
        }
        if (TSlots.Value > 2)
        {
            target.Store(0, slot + 2, c02); target.Store(1, slot + 2, c12); target.Store(2, slot + 2, c22); target.Store(3, slot + 2, c32);
        }
    }
}
