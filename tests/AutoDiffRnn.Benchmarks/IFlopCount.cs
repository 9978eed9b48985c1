namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// A benchmark parameter that knows how many floating-point operations one invocation performs;
/// <see cref="GflopsColumn"/> turns the measured mean time into GFLOP/s for any benchmark with such a parameter.
/// </summary>
public interface IFlopCount
{
    /// <summary>Floating-point operations per benchmark invocation (a multiply-add counts as 2).</summary>
    double Flops { get; }
}
