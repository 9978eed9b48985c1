namespace AutoDiffRnn.Compile;

/// <summary>
/// Runs one traced operation again on new tensors, through the same op the function called (so it records the same tape node): the
/// compiler's fallback for every op it does not fuse (matrix products, reductions, layout ops). An op missing here is unknown to the
/// compiler, and a cell that uses one runs eagerly as a whole (<see cref="CompiledCell.FallbackReason"/>).
/// </summary>
internal static class OperationReplay
{
    private delegate Tensor Replay(Tensor[] inputs, object? attributes, Shape outputShape);

    private static readonly Dictionary<string, Replay> replays = new()
    {
        ["add"] = (x, _, _) => AddOp.Apply(x[0], x[1]),
        ["sub"] = (x, _, _) => SubtractOp.Apply(x[0], x[1]),
        ["mul"] = (x, _, _) => MultiplyOp.Apply(x[0], x[1]),
        ["div"] = (x, _, _) => DivideOp.Apply(x[0], x[1]),
        ["neg"] = (x, _, _) => NegateOp.Apply(x[0]),
        ["sigmoid"] = (x, _, _) => SigmoidOp.Apply(x[0]),
        ["tanh"] = (x, _, _) => TanhOp.Apply(x[0]),
        ["relu"] = (x, _, _) => ReluOp.Apply(x[0]),
        ["exp"] = (x, _, _) => ExpOp.Apply(x[0]),
        ["log"] = (x, _, _) => LogOp.Apply(x[0]),
        ["sqrt"] = (x, _, _) => SqrtOp.Apply(x[0]),
        ["abs"] = (x, _, _) => AbsOp.Apply(x[0]),
        ["clamp"] = (x, a, _) => { var (min, max) = ((double?, double?))a!; return ClampOp.Apply(x[0], min, max); },
        ["pow"] = (x, a, _) => PowOp.Apply(x[0], (double)a!),
        ["leaky_relu"] = (x, a, _) => LeakyReluOp.Apply(x[0], (double)a!),
        ["narrow"] = (x, a, _) => { var (axis, start, length) = ((int, int, int))a!; return NarrowOp.Apply(x[0], axis, start, length); },
        ["reshape"] = (x, _, shape) => ReshapeOp.Apply(x[0], shape.Dimensions),
        ["expand"] = (x, _, shape) => ExpandOp.Expand(x[0], shape),
        ["sum_to"] = (x, _, shape) => ExpandOp.SumTo(x[0], shape),
        ["sum"] = (x, a, shape) =>
        {
            var reduced = (bool[])a!;
            return SumOp.Apply(x[0], Enumerable.Range(0, reduced.Length).Where(axis => reduced[axis]).ToArray(), keepDim: shape.Rank == x[0].Rank);
        },
        ["matmul"] = (x, a, _) => { var (transposeA, transposeB) = ((bool, bool))a!; return MatMulOp.Apply(x[0], x[1], transposeA, transposeB); },
        ["linear"] = (x, _, _) => LinearOp.Apply(x[0], x[1], x.Length > 2 ? x[2] : null),
        ["concat"] = (x, a, _) => ConcatOp.Apply(x, (int)a!),
        ["layer_norm"] = (x, a, _) =>
        {
            var (epsilon, hasWeight, hasBias) = ((double, bool, bool))a!;
            return LayerNormOp.Apply(x[0], hasWeight ? x[1] : null, hasBias ? x[hasWeight ? 2 : 1] : null, epsilon);
        },
    };

    /// <summary>True when the compiler can replay the op.</summary>
    public static bool IsKnown(TracedOperation operation) =>
        replays.ContainsKey(operation.Name) && (operation.Attributes is not null || !NeedsAttributes(operation.Name));

    private static bool NeedsAttributes(string name) => name is "clamp" or "pow" or "leaky_relu" or "narrow" or "sum" or "matmul" or "concat" or "layer_norm";

    /// <summary>Runs the op on <paramref name="inputs"/> (recorded on the tape when an input requires gradients).</summary>
    public static Tensor Run(TracedOperation operation, Tensor[] inputs, Shape outputShape) =>
        replays[operation.Name](inputs, operation.Attributes, outputShape);
}
