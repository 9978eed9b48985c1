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
    /// whole slots with zero lanes past each row); then the items (a block of four output channels × a run of blocks of three taps)
    /// are split over the cores. Each tap block sums in twelve vector accumulators (7 loads per 12 multiply-adds) over the samples,
    /// taken in passes whose output gradients stay in L1, and slots, and ends in twelve horizontal sums. Each part writes its own
    /// weights, so there are no partial sums to add.
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
                        plan.PadGroup<T>(x, n, group, padded.AsSpan((n * g.Groups + group) * groupInput, groupInput));
                    if (!plan.FullSlots)
                        for (int o = 0; o < g.OutChannels; o++)
                            ToSlots(plan, gradient.Slice((n * g.OutChannels + o) * g.OutputPlane, g.OutputPlane),
                                slotted.AsSpan((n * g.OutChannels + o) * slotPlane, slotPlane));
                }
            });
            int channelBlocks = (g.OutPerGroup + DirectConvolutionPlan.ChannelBlock - 1) / DirectConvolutionPlan.ChannelBlock;
            int tapBlocks = plan.TapOffsets.Length / DirectConvolutionPlan.TapBlock;
            int tapRuns = (tapBlocks + TapBlocksPerItem - 1) / TapBlocksPerItem;
            int items = g.Groups * channelBlocks * tapRuns;
            ForEachPart(items, parts, (first, count) =>
            {
                var source = plan.FullSlots ? outputGradient.Span<T>() : slotted.AsSpan(0, (int)slottedSize);
                WeightBlocks(plan, padded, source, weightGradient.Span<T>(), first, count, channelBlocks, tapBlocks, tapRuns);
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

    /// <summary>Tap blocks per work item of the weight gradient (the items are split over the cores).</summary>
    private const int TapBlocksPerItem = 16;

    /// <summary>Bytes of output gradient (four channels of a run of samples) a pass keeps in L1 while it sweeps an item's tap blocks.</summary>
    private const int PassGradientBytes = 16 * 1024;

    /// <summary>
    /// Items [first, first + count) of (group, block of four output channels, run of <see cref="TapBlocksPerItem"/> blocks of three
    /// taps), in that nesting. The samples are taken in passes whose four channels of output gradient fit in L1
    /// (<see cref="PassGradientBytes"/>); in each pass every tap block of the item resumes its twelve vector accumulators (kept in a
    /// stack buffer between passes) and sums the pass's samples and slots. The horizontal sums are taken once, at the end.
    /// </summary>
    private static unsafe void WeightBlocks<T>(DirectConvolutionPlan plan, T[] padded, ReadOnlySpan<T> gradient, Span<T> weightGradient,
        int first, int count, int channelBlocks, int tapBlocks, int tapRuns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        const int block = DirectConvolutionPlan.ChannelBlock, tapBlock = DirectConvolutionPlan.TapBlock, sums = block * tapBlock;
        int lanes = plan.Lanes, slotPlane = plan.Slots * lanes, taps = plan.Taps, last = g.OutPerGroup - 1;
        int samplesPerPass = Math.Max(1, PassGradientBytes / (block * slotPlane * sizeof(T)));
        nint sampleInput = (nint)g.Groups * plan.PaddedGroupInput, sampleGradient = (nint)g.OutChannels * slotPlane;
        Vector256<T>* accumulators = stackalloc Vector256<T>[TapBlocksPerItem * sums];
        fixed (T* x = padded, dy = gradient, dw = weightGradient)
        fixed (int* tapOffsets = plan.TapOffsets, slotInput = plan.SlotInput)
        {
            for (int item = first; item < first + count; item++)
            {
                int group = item / (channelBlocks * tapRuns), rest = item % (channelBlocks * tapRuns);
                int o0 = rest / tapRuns * block, firstTapBlock = rest % tapRuns * TapBlocksPerItem;
                int blocks = Math.Min(tapBlocks, firstTapBlock + TapBlocksPerItem) - firstTapBlock;
                new Span<Vector256<T>>(accumulators, blocks * sums).Clear();
                // channels past the group's last repeat it (their sums are dropped); taps past the last read offset 0 (likewise)
                int channel0 = group * g.OutPerGroup + o0, channel1 = group * g.OutPerGroup + Math.Min(o0 + 1, last),
                    channel2 = group * g.OutPerGroup + Math.Min(o0 + 2, last), channel3 = group * g.OutPerGroup + Math.Min(o0 + 3, last);
                for (int n = 0; n < g.Batch; n += samplesPerPass)
                {
                    int samples = Math.Min(samplesPerPass, g.Batch - n);
                    T* xs = x + n * sampleInput + (nint)group * plan.PaddedGroupInput;
                    T* gs = dy + n * sampleGradient;
                    for (int b = 0; b < blocks; b++)
                    {
                        int r0 = (firstTapBlock + b) * tapBlock;
                        WeightBlock(plan, samples, xs, sampleInput,
                            gs + (nint)channel0 * slotPlane, gs + (nint)channel1 * slotPlane, gs + (nint)channel2 * slotPlane, gs + (nint)channel3 * slotPlane,
                            sampleGradient, tapOffsets[r0], tapOffsets[r0 + 1], tapOffsets[r0 + 2], slotInput, accumulators + b * sums);
                    }
                }
                for (int b = 0; b < blocks; b++)
                {
                    int r0 = (firstTapBlock + b) * tapBlock;
                    for (int q = 0; q < block && o0 + q < g.OutPerGroup; q++)
                        for (int t = 0; t < tapBlock && r0 + t < taps; t++)
                            dw[(nint)(group * g.OutPerGroup + o0 + q) * taps + r0 + t] = Vector256.Sum(accumulators[b * sums + q * tapBlock + t]);
                }
            }
        }
    }

    /// <summary>
    /// Adds to the twelve vector accumulators <paramref name="accumulators"/> (channels g0..g3 — each the sample's output-gradient
    /// plane in slots — × taps at offsets t0..t2, channel-major) the products over <paramref name="samples"/> samples (inputs
    /// <paramref name="sampleInput"/> apart, gradients <paramref name="sampleGradient"/> apart) and every slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightBlock<T>(DirectConvolutionPlan plan, int samples, T* x, nint sampleInput, T* g0, T* g1, T* g2, T* g3,
        nint sampleGradient, nint t0, nint t1, nint t2, int* slotInput, Vector256<T>* accumulators)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> c00 = accumulators[0], c01 = accumulators[1], c02 = accumulators[2], c10 = accumulators[3], c11 = accumulators[4],
            c12 = accumulators[5], c20 = accumulators[6], c21 = accumulators[7], c22 = accumulators[8], c30 = accumulators[9],
            c31 = accumulators[10], c32 = accumulators[11];
        int slots = plan.Slots, lanes = Vector256<T>.Count;
        for (int n = 0; n < samples; n++)
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
        accumulators[0] = c00; accumulators[1] = c01; accumulators[2] = c02; accumulators[3] = c10; accumulators[4] = c11;
        accumulators[5] = c12; accumulators[6] = c20; accumulators[7] = c21; accumulators[8] = c22; accumulators[9] = c30;
        accumulators[10] = c31; accumulators[11] = c32;
    }
}
