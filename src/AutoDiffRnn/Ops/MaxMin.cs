using System.Numerics;
using System.Numerics.Tensors;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Kernels;

namespace AutoDiffRnn;

/// <summary>
/// max / min: the largest / smallest value over some axes (all by default), keeping them as size 1 if asked.
/// VJP (PyTorch's amax/amin): the gradient is split evenly among the positions equal to the result —
/// g · mask / count, where the mask of tied positions is a constant.
/// </summary>
[Operation(MaxName)]
[Operation(MinName)]
internal static class ExtremumOp
{
    public static Tensor Apply(Tensor x, int[]? axes, bool keepDim, bool maximum)
    {
        string name = maximum ? MaxName : MinName;
        var reduced = SumOp.ReducedAxes(x.Shape, axes, name);
        for (int axis = 0; axis < x.Rank; axis++)
            if (reduced[axis] && x.Shape[axis] == 0) // PyTorch: an empty reduced dimension has no extremum; other empty tensors give empty results
                throw new ArgumentException($"{name}: cannot reduce an empty tensor of shape {x.Shape} over dim {axis}, which has size 0");
        var keptShape = SumOp.KeptShape(x.Shape, reduced);
        var output = Tensor.Empty(keptShape, x.DType);
        if (output.ElementCount > 0 && x.DType == DType.Float32) Reduce<float>(x, reduced, output.Span<float>(), maximum);
        else if (output.ElementCount > 0) Reduce<double>(x, reduced, output.Span<double>(), maximum);
        var result = keepDim ? output : output.Alias(SumOp.DroppedShape(x.Shape, reduced));
        var reducedAxes = Enumerable.Range(0, x.Rank).Where(a => reduced[a]).ToArray();
        return Tape.Record(name, result, [x], g =>
        {
            var mask = x.Equal(output.Detach());
            var count = mask.Sum(reducedAxes, keepDim: true);
            return [mask * (g.Reshape(keptShape) / count)];
        });
    }

    private static void Reduce<T>(Tensor x, bool[] reduced, Span<T> destination, bool maximum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = AxisLayout.RowsOverReducedAxes<T>(x, reduced, out int rowCount, out int rowLength);
        for (int row = 0; row < rowCount; row++)
        {
            ReadOnlySpan<T> values = rows.AsSpan(row * rowLength, rowLength);
            destination[row] = maximum ? TensorPrimitives.Max(values) : TensorPrimitives.Min(values);
        }
    }

    /// <summary>Indices of the largest (or smallest) value along one axis, row-major over the remaining axes.</summary>
    public static int[] IndexOf(Tensor x, int axis, bool maximum)
    {
        string name = maximum ? "argmax" : "argmin";
        int normalized = x.Shape.NormalizeAxis(axis, name);
        if (x.Shape[normalized] == 0)
            throw new ArgumentException($"{name}: axis {axis} of shape {x.Shape} is empty");
        var reduced = new bool[x.Rank];
        reduced[normalized] = true;
        return x.DType == DType.Float32 ? Indices<float>(x, reduced, maximum) : Indices<double>(x, reduced, maximum);
    }

    private static int[] Indices<T>(Tensor x, bool[] reduced, bool maximum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = AxisLayout.RowsOverReducedAxes<T>(x, reduced, out int rowCount, out int rowLength);
        var indices = new int[rowCount];
        for (int row = 0; row < rowCount; row++)
        {
            ReadOnlySpan<T> values = rows.AsSpan(row * rowLength, rowLength);
            indices[row] = maximum ? TensorPrimitives.IndexOfMax(values) : TensorPrimitives.IndexOfMin(values);
        }
        return indices;
    }

    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string MaxName = "max";
    /// <summary>The operation's name, as registered, recorded on the tape and used in error messages.</summary>
    internal const string MinName = "min";
}

public sealed partial class Tensor
{
    /// <summary>The largest element (a scalar).</summary>
    public Tensor Max() => ExtremumOp.Apply(this, null, false, maximum: true);

    /// <summary>The largest value along one axis; <paramref name="keepDim"/> keeps it with size 1.</summary>
    public Tensor Max(int axis, bool keepDim = false) => ExtremumOp.Apply(this, [axis], keepDim, maximum: true);

    /// <summary>The largest value over several axes; <paramref name="keepDim"/> keeps them with size 1.</summary>
    public Tensor Max(int[] axes, bool keepDim = false) => ExtremumOp.Apply(this, axes, keepDim, maximum: true);

    /// <summary>The smallest element (a scalar).</summary>
    public Tensor Min() => ExtremumOp.Apply(this, null, false, maximum: false);

    /// <summary>The smallest value along one axis; <paramref name="keepDim"/> keeps it with size 1.</summary>
    public Tensor Min(int axis, bool keepDim = false) => ExtremumOp.Apply(this, [axis], keepDim, maximum: false);

    /// <summary>The smallest value over several axes; <paramref name="keepDim"/> keeps them with size 1.</summary>
    public Tensor Min(int[] axes, bool keepDim = false) => ExtremumOp.Apply(this, axes, keepDim, maximum: false);

    /// <summary>
    /// The index of the largest value along <paramref name="axis"/> for every position of the other axes, in row-major order of
    /// the shape without that axis (the first index wins ties). Not differentiable and not recorded.
    /// </summary>
    public int[] ArgMax(int axis) => ExtremumOp.IndexOf(this, axis, maximum: true);

    /// <summary>The index of the smallest value along <paramref name="axis"/>, as <see cref="ArgMax"/>.</summary>
    public int[] ArgMin(int axis) => ExtremumOp.IndexOf(this, axis, maximum: false);
}
