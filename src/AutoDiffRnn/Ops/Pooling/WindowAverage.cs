using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// The windows of an average along one axis: output position o averages inputs [Start[o], End[o]) and divides by Divisor[o]
/// (the window's size with or without its padding). Averages over 2-D windows divide by the product of the two axes' divisors.
/// </summary>
internal sealed record AxisWindows(int InputSize, int[] Start, int[] End, int[] Divisor)
{
    public int OutputSize => Start.Length;

    /// <summary>PyTorch's avg_pool windows: start o·stride − pad, the divisor counting the padding inside the window or not.</summary>
    public static AxisWindows Pool(int size, int kernel, int stride, int pad, int outputs, bool countIncludePad)
    {
        var start = new int[outputs];
        var end = new int[outputs];
        var divisor = new int[outputs];
        for (int o = 0; o < outputs; o++)
        {
            int first = o * stride - pad, last = Math.Min(first + kernel, size + pad);
            int padded = last - first;
            start[o] = Math.Max(first, 0);
            end[o] = Math.Min(last, size);
            divisor[o] = countIncludePad ? padded : end[o] - start[o];
        }
        return new AxisWindows(size, start, end, divisor);
    }

    /// <summary>PyTorch's adaptive windows: [⌊o·size/outputs⌋, ⌈(o+1)·size/outputs⌉).</summary>
    public static AxisWindows Adaptive(int size, int outputs)
    {
        var start = new int[outputs];
        var end = new int[outputs];
        var divisor = new int[outputs];
        for (int o = 0; o < outputs; o++)
        {
            start[o] = (int)((long)o * size / outputs);
            end[o] = (int)(((long)(o + 1) * size + outputs - 1) / outputs);
            divisor[o] = end[o] - start[o];
        }
        return new AxisWindows(size, start, end, divisor);
    }
}

/// <summary>
/// avg_pool2d and adaptive_avg_pool2d: the mean of each window of each [H, W] plane (windows from <see cref="AxisWindows"/> along
/// height and width). Each output row first sums its input rows with one vector add per row, then each window's run of that sum.
/// VJP: avg_pool2d_backward, the adjoint (each output gradient divided by its divisor and spread over its window: for 2×2 windows
/// with stride 2, the Kronecker product with a block of 1/4), itself recorded with the average as its VJP.
/// </summary>
[Operation("avg_pool2d")]
[Operation("adaptive_avg_pool2d")]
[Operation("avg_pool2d_backward")]
internal static class WindowAverageOp
{
    public static Tensor Apply(string operation, Tensor input, AxisWindows rows, AxisWindows columns)
    {
        int batch = input.Shape[0], channels = input.Shape[1];
        var output = Tensor.Empty(new Shape(batch, channels, rows.OutputSize, columns.OutputSize), input.DType);
        if (input.DType == DType.Float32) Average<float>(input.Span<float>(), output.Span<float>(), batch * channels, rows, columns);
        else Average<double>(input.Span<double>(), output.Span<double>(), batch * channels, rows, columns);
        return Tape.Record(operation, output, [input], grad => [Backward(operation, grad, rows, columns)]);
    }

    /// <summary>avg_pool2d_backward: the adjoint of the average, of the input's shape.</summary>
    public static Tensor Backward(string operation, Tensor outputGradient, AxisWindows rows, AxisWindows columns)
    {
        int batch = outputGradient.Shape[0], channels = outputGradient.Shape[1];
        var result = Tensor.Empty(new Shape(batch, channels, rows.InputSize, columns.InputSize), outputGradient.DType);
        if (result.DType == DType.Float32) Spread<float>(outputGradient.Span<float>(), result.Span<float>(), batch * channels, rows, columns);
        else Spread<double>(outputGradient.Span<double>(), result.Span<double>(), batch * channels, rows, columns);
        return Tape.Record("avg_pool2d_backward", result, [outputGradient], u => [Apply(operation, u, rows, columns)]);
    }

    private static void Average<T>(ReadOnlySpan<T> x, Span<T> y, int planes, AxisWindows rows, AxisWindows columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int height = rows.InputSize, width = columns.InputSize, outHeight = rows.OutputSize, outWidth = columns.OutputSize;
        var buffer = ArrayPool<T>.Shared.Rent(width);
        try
        {
            var rowSum = buffer.AsSpan(0, width);
            for (int p = 0; p < planes; p++)
            {
                var plane = x.Slice(p * height * width, height * width);
                for (int oh = 0; oh < outHeight; oh++)
                {
                    rowSum.Clear();
                    for (int h = rows.Start[oh]; h < rows.End[oh]; h++) TensorPrimitives.Add(rowSum, plane.Slice(h * width, width), rowSum);
                    var destination = y.Slice((p * outHeight + oh) * outWidth, outWidth);
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        T sum = TensorPrimitives.Sum<T>(rowSum[columns.Start[ow]..columns.End[ow]]);
                        destination[ow] = sum / T.CreateChecked(rows.Divisor[oh] * columns.Divisor[ow]);
                    }
                }
            }
        }
        finally { ArrayPool<T>.Shared.Return(buffer); }
    }

    private static void Spread<T>(ReadOnlySpan<T> gradient, Span<T> result, int planes, AxisWindows rows, AxisWindows columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int height = rows.InputSize, width = columns.InputSize, outHeight = rows.OutputSize, outWidth = columns.OutputSize;
        var buffer = ArrayPool<T>.Shared.Rent(width);
        try
        {
            var rowSpread = buffer.AsSpan(0, width);
            for (int p = 0; p < planes; p++)
            {
                var plane = result.Slice(p * height * width, height * width);
                for (int oh = 0; oh < outHeight; oh++)
                {
                    rowSpread.Clear();
                    var source = gradient.Slice((p * outHeight + oh) * outWidth, outWidth);
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        var run = rowSpread[columns.Start[ow]..columns.End[ow]];
                        TensorPrimitives.Add(run, source[ow] / T.CreateChecked(rows.Divisor[oh] * columns.Divisor[ow]), run);
                    }
                    for (int h = rows.Start[oh]; h < rows.End[oh]; h++)
                    {
                        var target = plane.Slice(h * width, width);
                        TensorPrimitives.Add(target, rowSpread, target);
                    }
                }
            }
        }
        finally { ArrayPool<T>.Shared.Return(buffer); }
    }
}
