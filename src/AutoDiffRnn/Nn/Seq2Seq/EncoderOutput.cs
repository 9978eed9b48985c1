namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>What <see cref="Seq2SeqEncoder.Forward(IReadOnlyList{int[]})"/> returns.</summary>
/// <param name="Outputs">Every source step's top-layer output, directions concatenated, batch first: (B, S, D·H); zero at padding.</param>
/// <param name="Mask">1 at real source steps and 0 at padding: (B, S), in the outputs' element type.</param>
/// <param name="Lengths">Each source's length.</param>
/// <param name="InitialDecoderState">The final states bridged to the decoder: (layers, B, decoder hidden) (see <see cref="EncoderBridge"/>).</param>
public sealed record EncoderOutput(Tensor Outputs, Tensor Mask, int[] Lengths, DecoderState InitialDecoderState);
