using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn;

/// <summary>
/// The fused recurrent ops on a batch of zero sequences: an empty output of the op's shape, as PyTorch returns, recorded with a backward
/// that gives every input a zero gradient (the kernels, which split the batch over cores, never see an empty batch).
/// </summary>
internal static class EmptyBatch
{
    public static Tensor Record(string operation, Tensor output, Tensor[] inputs) =>
        Tape.Record(operation, output, inputs, _ => inputs.Select(Tensor.ZerosLike).ToArray());
}
