namespace AutoDiffRnn;

public sealed partial class Tensor
{
    /// <summary>The mean of all elements (a scalar): the sum divided by the element count. Differentiable through sum.</summary>
    public Tensor Mean() => Mean(null, keepDim: false);

    /// <summary>The mean over one axis; <paramref name="keepDim"/> keeps it with size 1.</summary>
    public Tensor Mean(int axis, bool keepDim = false) => Mean([axis], keepDim);

    /// <summary>The mean over several axes (all when null); <paramref name="keepDim"/> keeps them with size 1.</summary>
    public Tensor Mean(int[]? axes, bool keepDim = false)
    {
        var reduced = SumOp.ReducedAxes(Shape, axes, "mean");
        int count = 1;
        for (int axis = 0; axis < Rank; axis++) if (reduced[axis]) count *= Shape[axis];
        var sum = axes is null && !keepDim ? Sum() : Sum(Enumerable.Range(0, Rank).Where(a => reduced[a]).ToArray(), keepDim);
        return sum * (count == 0 ? double.NaN : 1.0 / count); // a mean over no elements is NaN, as in PyTorch
    }
}
