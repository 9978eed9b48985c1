using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// conv2d (PyTorch's <c>conv2d</c>, a cross-correlation): input X [N, C, H, W], weight W [O, C/groups, kH, kW], optional bias b [O],
/// y[n, o, oh, ow] = b[o] + Σ W[o, c, i, j] · X[n, g·C/groups + c, oh·sH − top + i·dH, ow·sW − left + j·dW] over the taps inside
/// the input (zeros in the padding), g the group of o. At stride 1 along the width the direct kernels compute it without an im2col
/// matrix (<see cref="DirectConvolution"/>); otherwise each sample and group is one GEMM, W_g × im2col(X_ng), with the columns
/// lowered into a pooled buffer per thread. Samples are split over the cores.
/// VJP: dX = conv2d_input_grad(G, W), dW = conv2d_weight_grad(X, G), db = G summed over N, H, W. The two gradient ops are
/// recorded too, each bilinear with VJPs written with the other two, so gradients of gradients work.
/// </summary>
[Operation("conv2d")]
[Operation("conv2d_input_grad")]
[Operation("conv2d_weight_grad")]
internal static class Conv2dOp
{
    /// <summary>Multiply-adds from which the samples are split over the cores (<see cref="KernelTuning.ConvolutionParallelThreshold"/>).</summary>
    internal static long ParallelThreshold => KernelTuning.Current.ConvolutionParallelThreshold;

    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, ConvGeometry g, string operation = "conv2d")
    {
        Elementwise.RequireSameDType(operation, input, weight);
        if (bias is not null)
        {
            Elementwise.RequireSameDType(operation, input, bias);
            if (bias.Rank != 1 || bias.Shape[0] != g.OutChannels)
                throw new ArgumentException($"{operation}: the bias must be [{g.OutChannels}] to match weight {weight.Shape}, got {bias.Shape}");
        }
        var output = Tensor.Uninitialized(g.OutputShape, input.DType); // every path writes every output
        if (input.DType == DType.Float32) Forward<float>(input, weight, bias, output, g);
        else Forward<double>(input, weight, bias, output, g);
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Tape.Record("conv2d", output, inputs, grad =>
        [
            input.RequiresGrad ? InputGradient(grad, weight, g) : null,
            weight.RequiresGrad ? WeightGradient(input, grad, g) : null,
            // each output plane is contiguous: one sum per (sample, channel) plane, then over the samples
            bias is { RequiresGrad: true } ? grad.Reshape(g.Batch, g.OutChannels, g.OutputPlane).Sum(2).Sum(0) : null,
        ]);
    }

    /// <summary>conv2d_input_grad: the adjoint of the convolution in its input, Wᵀ applied to an output gradient, of the input's shape.</summary>
    public static Tensor InputGradient(Tensor outputGradient, Tensor weight, ConvGeometry g)
    {
        RequireShape("conv2d_input_grad", outputGradient, g.OutputShape, "output gradient");
        var output = Tensor.Uninitialized(g.InputShape, outputGradient.DType); // every path writes every element
        if (output.DType == DType.Float32) InputBackward<float>(outputGradient, weight, output, g);
        else InputBackward<double>(outputGradient, weight, output, g);
        return Tape.Record("conv2d_input_grad", output, [outputGradient, weight], u =>
        [
            outputGradient.RequiresGrad ? Apply(u, weight, null, g) : null,
            weight.RequiresGrad ? WeightGradient(u, outputGradient, g) : null,
        ]);
    }

    /// <summary>conv2d_weight_grad: the gradient of the convolution in its weight, Σ over samples of G_n × im2col(X_n)ᵀ.</summary>
    public static Tensor WeightGradient(Tensor input, Tensor outputGradient, ConvGeometry g)
    {
        RequireShape("conv2d_weight_grad", input, g.InputShape, "input");
        RequireShape("conv2d_weight_grad", outputGradient, g.OutputShape, "output gradient");
        var output = Tensor.Uninitialized(g.WeightShape, input.DType); // every path writes every element
        if (output.DType == DType.Float32) WeightBackward<float>(input, outputGradient, output, g);
        else WeightBackward<double>(input, outputGradient, output, g);
        return Tape.Record("conv2d_weight_grad", output, [input, outputGradient], v =>
        [
            input.RequiresGrad ? InputGradient(outputGradient, v, g) : null,
            outputGradient.RequiresGrad ? Apply(input, v, null, g) : null,
        ]);
    }

    private static void RequireShape(string operation, Tensor tensor, Shape expected, string role)
    {
        if (tensor.Shape != expected)
            throw new ArgumentException($"{operation}: the {role} must be {expected}, got {tensor.Shape}");
    }

    /// <summary>How many parts the batch is split into: one per core when the work is worth it.</summary>
    private static int Parts(ConvGeometry g) =>
        g.Batch > 1 && g.MultiplyAdds >= ParallelThreshold ? Math.Min(Gemm.MaxParallelism, g.Batch) : 1;

    /// <summary>Runs <paramref name="body"/>(part, first sample, sample count) for each part of the batch, in parallel if there are several.</summary>
    private static void ForEachPart(ConvGeometry g, Action<int, int, int> body)
    {
        int parts = Parts(g);
        if (parts == 1) { body(0, 0, g.Batch); return; }
        int perPart = (g.Batch + parts - 1) / parts;
        Parallel.For(0, parts, part =>
        {
            int first = part * perPart, count = Math.Min(g.Batch, first + perPart) - first;
            if (count > 0) body(part, first, count);
        });
    }

    /// <summary>The work of one sample and one group, given a column buffer of ColumnRows × OutputPlane (empty when pointwise).</summary>
    private delegate void GroupStep<T>(int sample, int group, Span<T> columns);

    /// <summary>Runs <paramref name="step"/> for every sample and group, the samples split over the cores, with one pooled column buffer per part.</summary>
    private static void ForEachSampleAndGroup<T>(ConvGeometry g, GroupStep<T> step)
    {
        int columnSize = g.IsPointwise ? 0 : g.ColumnRows * g.OutputPlane;
        ForEachPart(g, (_, first, count) =>
        {
            var buffer = ArrayPool<T>.Shared.Rent(Math.Max(columnSize, 1));
            try
            {
                for (int n = first; n < first + count; n++)
                    for (int group = 0; group < g.Groups; group++) step(n, group, buffer.AsSpan(0, columnSize));
            }
            finally { ArrayPool<T>.Shared.Return(buffer); }
        });
    }

    private static void Forward<T>(Tensor input, Tensor weight, Tensor? bias, Tensor output, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectConvolutionPlan.For<T>(g) is { } plan) DirectConvolution.Forward<T>(plan, input, weight, bias, output, Parts(g));
        else ForwardLowered<T>(input, weight, bias, output, g);
    }

    /// <summary>The forward pass as im2col and one GEMM per sample and group (where the direct kernels do not apply).</summary>
    internal static void ForwardLowered<T>(Tensor input, Tensor weight, Tensor? bias, Tensor output, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForEachSampleAndGroup<T>(g, (n, group, buffer) =>
        {
            ReadOnlySpan<T> x = input.Span<T>(), w = weight.Span<T>();
            var groupInput = x.Slice((n * g.InChannels + group * g.InPerGroup) * g.InputPlane, g.InPerGroup * g.InputPlane);
            ReadOnlySpan<T> columns = groupInput;
            if (!g.IsPointwise)
            {
                Im2Col.Lower(groupInput, buffer, g);
                columns = buffer;
            }
            var groupOutput = output.Span<T>().Slice((n * g.OutChannels + group * g.OutPerGroup) * g.OutputPlane, g.OutPerGroup * g.OutputPlane);
            if (bias is not null)
            {
                ReadOnlySpan<T> b = bias.Span<T>();
                for (int o = 0; o < g.OutPerGroup; o++)
                    groupOutput.Slice(o * g.OutputPlane, g.OutputPlane).Fill(b[group * g.OutPerGroup + o]);
            }
            Gemm.Multiply(w.Slice(group * g.OutPerGroup * g.ColumnRows, g.OutPerGroup * g.ColumnRows), false, columns, false,
                groupOutput, g.OutPerGroup, g.OutputPlane, g.ColumnRows, accumulate: bias is not null);
        });

    private static void InputBackward<T>(Tensor outputGradient, Tensor weight, Tensor inputGradient, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // the direct kernel computes four input channels at once: with fewer per group, im2col's GEMM wastes less
        if (g.InPerGroup >= DirectConvolutionPlan.ChannelBlock && DirectConvolution.SupportsInputGradient<T>(g))
            DirectConvolution.InputGradient<T>(g, outputGradient, weight, inputGradient, Parts(g));
        else InputBackwardLowered<T>(outputGradient, weight, inputGradient, g);
    }

    /// <summary>The input gradient as one GEMM Wᵀ G per sample and group and col2im (where the direct kernel does not apply).</summary>
    internal static void InputBackwardLowered<T>(Tensor outputGradient, Tensor weight, Tensor inputGradient, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForEachSampleAndGroup<T>(g, (n, group, buffer) =>
        {
            ReadOnlySpan<T> gradient = outputGradient.Span<T>(), w = weight.Span<T>();
            var groupGradient = gradient.Slice((n * g.OutChannels + group * g.OutPerGroup) * g.OutputPlane, g.OutPerGroup * g.OutputPlane);
            var groupInput = inputGradient.Span<T>().Slice((n * g.InChannels + group * g.InPerGroup) * g.InputPlane, g.InPerGroup * g.InputPlane);
            var columns = g.IsPointwise ? groupInput : buffer;
            Gemm.Multiply(w.Slice(group * g.OutPerGroup * g.ColumnRows, g.OutPerGroup * g.ColumnRows), true, groupGradient, false,
                columns, g.ColumnRows, g.OutputPlane, g.OutPerGroup, accumulate: false);
            if (g.IsPointwise) return;
            groupInput.Clear(); // col2im adds into it
            Im2Col.Raise<T>(columns, groupInput, g);
        });

    /// <summary>Elements of the batch-wide column matrix up to which the weight gradient is one GEMM over the whole batch
    /// (<see cref="KernelTuning.ConvolutionBatchColumnsLimit"/>).</summary>
    internal static long BatchColumnsLimit => KernelTuning.Current.ConvolutionBatchColumnsLimit;

    private static void WeightBackward<T>(Tensor input, Tensor outputGradient, Tensor weightGradient, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DirectConvolutionPlan.For<T>(g) is { } plan && (long)g.Batch * g.Groups * plan.PaddedGroupInput <= BatchColumnsLimit)
            DirectConvolution.WeightGradient<T>(plan, input, outputGradient, weightGradient, Parts(g));
        else if ((long)g.ColumnRows * g.Batch * g.OutputPlane <= BatchColumnsLimit) WeightBackwardBatched<T>(input, outputGradient, weightGradient, g);
        else WeightBackwardPerSample<T>(input, outputGradient, weightGradient, g);
    }

    /// <summary>
    /// dW_g = G_g [out/groups, N·positions] × columns [rows, N·positions]ᵀ: the columns of every sample side by side and the output
    /// gradient regrouped channel-major (both pooled), so one GEMM of depth N·positions, split over the cores inside, does the batch.
    /// </summary>
    private static void WeightBackwardBatched<T>(Tensor input, Tensor outputGradient, Tensor weightGradient, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int positions = g.OutputPlane, wide = g.Batch * positions;
        var columns = ArrayPool<T>.Shared.Rent(g.ColumnRows * wide);
        var regrouped = ArrayPool<T>.Shared.Rent(g.OutPerGroup * wide);
        try
        {
            for (int group = 0; group < g.Groups; group++)
            {
                int groupIndex = group;
                ForEachPart(g, (_, first, count) =>
                {
                    ReadOnlySpan<T> x = input.Span<T>(), gradient = outputGradient.Span<T>();
                    for (int n = first; n < first + count; n++)
                    {
                        var groupInput = x.Slice((n * g.InChannels + groupIndex * g.InPerGroup) * g.InputPlane, g.InPerGroup * g.InputPlane);
                        Im2Col.Lower(groupInput, columns.AsSpan(n * positions), g, rowStride: wide);
                        for (int o = 0; o < g.OutPerGroup; o++)
                            gradient.Slice((n * g.OutChannels + groupIndex * g.OutPerGroup + o) * positions, positions)
                                .CopyTo(regrouped.AsSpan(o * wide + n * positions, positions));
                    }
                });
                Gemm.Multiply<T>(regrouped.AsSpan(0, g.OutPerGroup * wide), false, columns.AsSpan(0, g.ColumnRows * wide), true,
                    weightGradient.Span<T>().Slice(group * g.OutPerGroup * g.ColumnRows, g.OutPerGroup * g.ColumnRows),
                    g.OutPerGroup, g.ColumnRows, wide, accumulate: false);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(columns);
            ArrayPool<T>.Shared.Return(regrouped);
        }
    }

    internal static void WeightBackwardPerSample<T>(Tensor input, Tensor outputGradient, Tensor weightGradient, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int columnSize = g.IsPointwise ? 0 : g.ColumnRows * g.OutputPlane;
        int weightSize = g.OutChannels * g.ColumnRows;
        int parts = Parts(g);
        // part 0 accumulates into the result, the others into pooled partial sums added at the end
        weightGradient.Span<T>()[..weightSize].Clear();
        var partials = new T[]?[parts];
        try
        {
            ForEachPart(g, (part, first, count) =>
            {
                var buffer = ArrayPool<T>.Shared.Rent(Math.Max(columnSize, 1));
                if (part > 0)
                {
                    partials[part] = ArrayPool<T>.Shared.Rent(weightSize);
                    partials[part].AsSpan(0, weightSize).Clear();
                }
                try
                {
                    ReadOnlySpan<T> x = input.Span<T>(), gradient = outputGradient.Span<T>();
                    Span<T> dw = part == 0 ? weightGradient.Span<T>() : partials[part].AsSpan(0, weightSize);
                    for (int n = first; n < first + count; n++)
                        for (int group = 0; group < g.Groups; group++)
                        {
                            var groupInput = x.Slice((n * g.InChannels + group * g.InPerGroup) * g.InputPlane, g.InPerGroup * g.InputPlane);
                            ReadOnlySpan<T> columns = groupInput;
                            if (!g.IsPointwise)
                            {
                                Im2Col.Lower(groupInput, buffer.AsSpan(0, columnSize), g);
                                columns = buffer.AsSpan(0, columnSize);
                            }
                            var groupGradient = gradient.Slice((n * g.OutChannels + group * g.OutPerGroup) * g.OutputPlane, g.OutPerGroup * g.OutputPlane);
                            Gemm.Multiply(groupGradient, false, columns, true, dw.Slice(group * g.OutPerGroup * g.ColumnRows, g.OutPerGroup * g.ColumnRows),
                                g.OutPerGroup, g.ColumnRows, g.OutputPlane, accumulate: true);
                        }
                }
                finally { ArrayPool<T>.Shared.Return(buffer); }
            });
            Span<T> result = weightGradient.Span<T>();
            for (int part = 1; part < parts; part++)
                if (partials[part] is { } partial) TensorPrimitives.Add(result, partial.AsSpan(0, weightSize), result);
        }
        finally
        {
            foreach (var partial in partials)
                if (partial is not null) ArrayPool<T>.Shared.Return(partial);
        }
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>conv2d</c>: <paramref name="input"/> [N, C, H, W] cross-correlated with <paramref name="weight"/>
    /// [out, C/groups, kH, kW], plus <paramref name="bias"/> [out] if given, giving [N, out, H', W'] with
    /// H' = ⌊(H + top + bottom − dH·(kH − 1) − 1) / sH⌋ + 1 (likewise W'). <paramref name="padding"/> is explicit per side,
    /// <see cref="Padding.Same"/> (TensorFlow's rule, asymmetric when it must be) or <see cref="Padding.Valid"/>.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int Height, int Width) stride, Padding padding,
        (int Height, int Width) dilation, int groups = 1)
    {
        var geometry = ConvGeometry.Create("conv2d", input.Shape, weight.Shape, stride, padding, dilation, groups,
            $"input {input.Shape}, weight {weight.Shape}");
        return Conv2dOp.Apply(input, weight, bias, geometry);
    }

    /// <summary>
    /// <see cref="Conv2d(Tensor, Tensor, Tensor?, ValueTuple{int, int}, Padding, ValueTuple{int, int}, int)"/> with the same stride
    /// and dilation along height and width.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, Padding padding = default,
        int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), padding, (dilation, dilation), groups);
}
