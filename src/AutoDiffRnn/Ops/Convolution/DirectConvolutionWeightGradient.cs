using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

internal static partial class DirectConvolution
{
    /// <summary>
    /// dW[o, r] = Σ over samples and output positions of G[n, o, position] · x_padded[n, slot input + tap offset r]. Every sample's
    /// padded input is prepared first (and, when the output width is not a multiple of the vector, the output gradient copied into
    /// whole slots with zero lanes past each row); then the blocks of four output channels × three taps are split over the cores, each
    /// summing in twelve vector accumulators over every sample and slot (7 loads per 12 multiply-adds) and ending in twelve
    /// horizontal sums. Each part writes its own weights, so there are no partial sums to add.
    /// </summary>
    public static void WeightGradient<T>(DirectConvolutionPlan plan, Tensor input, Tensor outputGradient, Tensor weightGradient, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        int lanes = plan.Lanes, groupInput = plan.PaddedGroupInput;
        int slotPlane = plan.Slots * lanes;
        long paddedSize = (long)g.Batch * g.Groups * groupInput;
        long slottedSize = plan.FullSlots ? 0 : (long)g.Batch * g.OutChannels * slotPlane;
        var padded = ArrayPool<T>.Shared.Rent((int)paddedSize);
        var slotted = ArrayPool<T>.Shared.Rent((int)Math.Max(1, slottedSize));
        try
        {
            ForEachPart(g.Batch, parts, (first, count) =>
            {
                ReadOnlySpan<T> x = input.Span<T>(), gradient = outputGradient.Span<T>();
                for (int n = first; n < first + count; n++)
                {
                    for (int group = 0; group < g.Groups; group++)
                        plan.Pad<T>(x.Slice((n * g.InChannels + group * g.InPerGroup) * g.InputPlane, g.InPerGroup * g.InputPlane),
                            padded.AsSpan((n * g.Groups + group) * groupInput, groupInput));
                    if (!plan.FullSlots)
                        for (int o = 0; o < g.OutChannels; o++)
                            ToSlots(plan, gradient.Slice((n * g.OutChannels + o) * g.OutputPlane, g.OutputPlane),
                                slotted.AsSpan((n * g.OutChannels + o) * slotPlane, slotPlane));
                }
            });
            int channelBlocks = (g.OutPerGroup + DirectConvolutionPlan.ChannelBlock - 1) / DirectConvolutionPlan.ChannelBlock;
            int tapBlocks = plan.TapOffsets.Length / DirectConvolutionPlan.TapBlock;
            int items = g.Groups * channelBlocks * tapBlocks;
            ForEachPart(items, parts, (first, count) =>
            {
                var source = plan.FullSlots ? outputGradient.Span<T>() : slotted.AsSpan(0, (int)slottedSize);
                WeightBlocks(plan, padded, source, weightGradient.Span<T>(), first, count, channelBlocks, tapBlocks);
            });
        }
        finally
        {
            ArrayPool<T>.Shared.Return(padded);
            ArrayPool<T>.Shared.Return(slotted);
        }
    }

    /// <summary>Copies an output-gradient plane into whole slots, the lanes past each row's end zero.</summary>
    private static void ToSlots<T>(DirectConvolutionPlan plan, ReadOnlySpan<T> plane, Span<T> slots) where T : unmanaged
    {
        int lanes = plan.Lanes;
        for (int s = 0; s < plan.Slots; s++)
        {
            int valid = plan.SlotValid[s];
            plane.Slice(plan.SlotOutput[s], valid).CopyTo(slots.Slice(s * lanes, valid));
            slots.Slice(s * lanes + valid, lanes - valid).Clear();
        }
    }

    /// <summary>Blocks [first, first + count) of (group, block of four output channels, block of three taps), in that nesting.</summary>
    private static unsafe void WeightBlocks<T>(DirectConvolutionPlan plan, T[] padded, ReadOnlySpan<T> gradient, Span<T> weightGradient,
        int first, int count, int channelBlocks, int tapBlocks)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        int lanes = plan.Lanes, slotPlane = plan.Slots * lanes, taps = plan.Taps;
        fixed (T* x = padded, dy = gradient, dw = weightGradient)
        fixed (int* tapOffsets = plan.TapOffsets, slotInput = plan.SlotInput)
        {
            Span<T> sums = stackalloc T[DirectConvolutionPlan.ChannelBlock * DirectConvolutionPlan.TapBlock];
            for (int item = first; item < first + count; item++)
            {
                int group = item / (channelBlocks * tapBlocks), rest = item % (channelBlocks * tapBlocks);
                int o0 = rest / tapBlocks * DirectConvolutionPlan.ChannelBlock, r0 = rest % tapBlocks * DirectConvolutionPlan.TapBlock;
                int last = g.OutPerGroup - 1;
                // channels past the group's last repeat it (their sums are dropped); taps past the last read offset 0 (likewise)
                int channel0 = group * g.OutPerGroup + o0, channel1 = group * g.OutPerGroup + Math.Min(o0 + 1, last),
                    channel2 = group * g.OutPerGroup + Math.Min(o0 + 2, last), channel3 = group * g.OutPerGroup + Math.Min(o0 + 3, last);
                WeightBlock(plan, x + (nint)group * plan.PaddedGroupInput, g.Groups * plan.PaddedGroupInput,
                    dy + (nint)channel0 * slotPlane, dy + (nint)channel1 * slotPlane, dy + (nint)channel2 * slotPlane, dy + (nint)channel3 * slotPlane,
                    (nint)g.OutChannels * slotPlane, tapOffsets[r0], tapOffsets[r0 + 1], tapOffsets[r0 + 2], slotInput, sums);
                for (int q = 0; q < DirectConvolutionPlan.ChannelBlock && o0 + q < g.OutPerGroup; q++)
                    for (int t = 0; t < DirectConvolutionPlan.TapBlock && r0 + t < taps; t++)
                        dw[(nint)(group * g.OutPerGroup + o0 + q) * taps + r0 + t] = sums[q * DirectConvolutionPlan.TapBlock + t];
            }
        }
    }

    /// <summary>
    /// The twelve sums of one block: for channels (g0..g3, each the sample's output-gradient plane in slots) × taps (offsets t0..t2),
    /// over every sample (inputs <paramref name="sampleInput"/> apart, gradients <paramref name="sampleGradient"/> apart) and slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightBlock<T>(DirectConvolutionPlan plan, T* x, nint sampleInput, T* g0, T* g1, T* g2, T* g3,
        nint sampleGradient, nint t0, nint t1, nint t2, int* slotInput, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default,
            c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        int slots = plan.Slots, lanes = Vector256<T>.Count, batch = plan.Geometry.Batch;
        for (int n = 0; n < batch; n++)
        {
            T* x0 = x + t0, x1 = x + t1, x2 = x + t2;
            for (int s = 0; s < slots; s++)
            {
                nint at = slotInput[s], slot = (nint)s * lanes;
                var v0 = Vector256.Load(x0 + at);
                var v1 = Vector256.Load(x1 + at);
                var v2 = Vector256.Load(x2 + at);
                var d = Vector256.Load(g0 + slot);
                c00 = VectorMath.MultiplyAdd(d, v0, c00); c01 = VectorMath.MultiplyAdd(d, v1, c01); c02 = VectorMath.MultiplyAdd(d, v2, c02);
                d = Vector256.Load(g1 + slot);
                c10 = VectorMath.MultiplyAdd(d, v0, c10); c11 = VectorMath.MultiplyAdd(d, v1, c11); c12 = VectorMath.MultiplyAdd(d, v2, c12);
                d = Vector256.Load(g2 + slot);
                c20 = VectorMath.MultiplyAdd(d, v0, c20); c21 = VectorMath.MultiplyAdd(d, v1, c21); c22 = VectorMath.MultiplyAdd(d, v2, c22);
                d = Vector256.Load(g3 + slot);
                c30 = VectorMath.MultiplyAdd(d, v0, c30); c31 = VectorMath.MultiplyAdd(d, v1, c31); c32 = VectorMath.MultiplyAdd(d, v2, c32);
            }
            x += sampleInput;
            g0 += sampleGradient; g1 += sampleGradient; g2 += sampleGradient; g3 += sampleGradient;
        }
        sums[0] = Vector256.Sum(c00); sums[1] = Vector256.Sum(c01); sums[2] = Vector256.Sum(c02);
        sums[3] = Vector256.Sum(c10); sums[4] = Vector256.Sum(c11); sums[5] = Vector256.Sum(c12);
        sums[6] = Vector256.Sum(c20); sums[7] = Vector256.Sum(c21); sums[8] = Vector256.Sum(c22);
        sums[9] = Vector256.Sum(c30); sums[10] = Vector256.Sum(c31); sums[11] = Vector256.Sum(c32);
    }
}
