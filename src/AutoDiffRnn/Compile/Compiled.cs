namespace AutoDiffRnn.Compile;

/// <summary>
/// Compiles recurrent cells written with ordinary tensor ops. <c>var cell = Compiled.Cell((x, state) => [h, c]);</c> then
/// <c>cell.Step(x, h, c)</c> (or <c>Recurrence.Run</c> over a sequence).
/// In F#: <c>Compiled.Cell(fun x state -> [| h; c |])</c>.
/// </summary>
/// <remarks>
/// The first call with given argument shapes traces the function through the tape and compiles it (<see cref="CompiledCell"/>); later
/// calls with the same shapes and element type replay the compiled form, recording one node on the tape. Parameters the function reads
/// (captured tensors that require gradients) are found by the trace and receive gradients as usual.
/// </remarks>
public static class Compiled
{
    /// <summary>
    /// A compiled cell from a step function: it takes the input and the state tensors and returns the new state, whose first tensor is
    /// the cell's output (e.g. an LSTM returns [h, c]).
    /// </summary>
    /// <param name="step">The cell's step, written with public tensor ops.</param>
    /// <param name="name">A name for error messages and <see cref="CompiledCell.Describe"/>.</param>
    /// <param name="compile">False to run the function eagerly at every call (the composed path, for comparisons and debugging).</param>
    public static CompiledCell Cell(Func<Tensor, Tensor[], Tensor[]> step, string name = "cell", bool compile = true) => new(step, name, compile);
}
