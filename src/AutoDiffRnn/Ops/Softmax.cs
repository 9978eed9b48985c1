using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// softmax, log_softmax and logsumexp along one axis, computed stably: the row maximum m is subtracted before exponentiating,
/// so logits of 1e4 neither overflow nor lose precision. VJPs, with y the output and g its gradient:
/// softmax y (g − Σ g y); log_softmax g − exp(y) Σ g; logsumexp g · exp(x − y) (= g · softmax x).
/// </summary>
[Operation(SoftmaxName)]
[Operation(LogSoftmaxName)]
[Operation(LogsumexpName)]
internal static class SoftmaxOp
{
    internal enum Kind { Softmax, LogSoftmax, LogSumExp }

    public static Tensor Apply(Tensor x, int axis, Kind kind, bool keepDim = false)
    {
        string name = kind switch { Kind.Softmax => SoftmaxName, Kind.LogSoftmax => LogSoftmaxName, _ => LogsumexpName };
        int normalized = x.Shape.NormalizeAxis(axis, name);
        var reduced = new bool[x.Rank];
        reduced[normalized] = true;
        var keptShape = SumOp.KeptShape(x.Shape, reduced);
        var output = Tensor.Empty(kind == Kind.LogSumExp ? keptShape : x.Shape, x.DType);
        if (x.DType == DType.Float32) Compute<float>(x, normalized, reduced, output, kind);
        else Compute<double>(x, normalized, reduced, output, kind);

        switch (kind)
        {
            case Kind.Softmax:
                return Tape.Record(name, output, [x], g => [output * (g - (g * output).Sum(normalized, keepDim: true))]);
            case Kind.LogSoftmax:
                return Tape.Record(name, output, [x], g => [g - output.Exp() * g.Sum(normalized, keepDim: true)]);
            default:
                var value = keepDim ? output : output.Alias(SumOp.DroppedShape(x.Shape, reduced));
                return Tape.Record(name, value, [x], g => [g.Reshape(keptShape) * (x - value.Reshape(keptShape)).Exp()]);
        }
    }

    private static void Compute<T>(Tensor x, int axis, bool[] reduced, Tensor output, Kind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (_, _, inner) = AxisLayout.Split(x.Shape, axis);
        var rows = AxisLayout.RowsOverReducedAxes<T>(x, reduced, out int rowCount, out int rowLength);
        var results = kind == Kind.LogSumExp || inner == 1 ? output.Span<T>() : new T[x.ElementCount];
        var scratch = new T[rowLength];
        for (int row = 0; row < rowCount; row++)
        {
            ReadOnlySpan<T> values = rows.AsSpan(row * rowLength, rowLength);
            T maximum = TensorPrimitives.Max(values);
            if (!T.IsFinite(maximum)) maximum = T.IsNaN(maximum) ? maximum : T.Zero; // all −inf, or +inf present: let IEEE rules decide
            TensorPrimitives.Subtract(values, maximum, scratch);
            TensorPrimitives.Exp(scratch, scratch);
            T total = TensorPrimitives.Sum<T>(scratch);
            switch (kind)
            {
                case Kind.Softmax:
                    TensorPrimitives.Divide(scratch, total, results.Slice(row * rowLength, rowLength));
                    break;
                case Kind.LogSoftmax:
                    // (x − m) − log Σ: subtracting m first keeps float32 precise for logits far from zero
                    var destination = results.Slice(row * rowLength, rowLength);
                    TensorPrimitives.Subtract(values, maximum, destination);
                    TensorPrimitives.Subtract(destination, T.Log(total), destination);
                    break;
                default:
                    results[row] = maximum + T.Log(total);
                    break;
            }
        }
        if (kind != Kind.LogSumExp && inner != 1)
        {
            // rows were laid out with the axis last: move it back into place
            var order = AxisLayout.ReducedAxesLast(reduced);
            var inverse = new int[order.Length];
            for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
            var permutedShape = Shape.Wrap(order.Select(a => x.Shape.Dimensions[a]).ToArray());
            AxisLayout.Permute<T>(results, permutedShape, inverse, output.Span<T>());
        }
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string SoftmaxName = "softmax";
    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string LogSoftmaxName = "log_softmax";
    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string LogsumexpName = "logsumexp";
}

public sealed partial class Tensor
{
    /// <summary>Softmax along <paramref name="axis"/>: exp(x) normalized to sum to 1, computed stably.</summary>
    public Tensor Softmax(int axis) => SoftmaxOp.Apply(this, axis, SoftmaxOp.Kind.Softmax);

    /// <summary>Log of the softmax along <paramref name="axis"/>: x − logsumexp(x), computed stably.</summary>
    public Tensor LogSoftmax(int axis) => SoftmaxOp.Apply(this, axis, SoftmaxOp.Kind.LogSoftmax);

    /// <summary>log Σ exp(x) along <paramref name="axis"/>, computed stably; <paramref name="keepDim"/> keeps the axis with size 1.</summary>
    public Tensor LogSumExp(int axis, bool keepDim = false) => SoftmaxOp.Apply(this, axis, SoftmaxOp.Kind.LogSumExp, keepDim);
}
