namespace AutoDiffRnn.Compile;

/// <summary>One step of a compiled cell: a fused element-wise region, or one op run eagerly (matrix products, reductions, layout ops).</summary>
internal abstract record ProgramStep
{
    /// <summary>The values the step reads.</summary>
    public abstract int[] Reads { get; }

    /// <summary>The values the step writes.</summary>
    public abstract int[] Writes { get; }
}

/// <summary>A fused region (see <see cref="FusedRegion"/>): reads its externals, writes its outputs.</summary>
internal sealed record FusedStep(FusedRegion Region) : ProgramStep
{
    /// <inheritdoc />
    public override int[] Reads => Region.Externals;

    /// <inheritdoc />
    public override int[] Writes => Region.Outputs.Select(output => output.Value).ToArray();
}

/// <summary>
/// One traced op replayed through its own implementation (<see cref="OperationReplay"/>): matrix products stay on the packed GEMM, and
/// its backward is the op's own vector-Jacobian product.
/// </summary>
internal sealed record EagerStep(TracedOperation Operation, Shape OutputShape) : ProgramStep
{
    /// <inheritdoc />
    public override int[] Reads => Operation.Inputs;

    /// <inheritdoc />
    public override int[] Writes => [Operation.Output];
}
