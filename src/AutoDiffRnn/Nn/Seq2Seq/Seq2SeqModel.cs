namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// An encoder-decoder model (Sutskever et al. 2014; with attention, Bahdanau et al. 2015 and Luong et al. 2015): the encoder reads the
/// source tokens, its final states (bridged) start the decoder, and the decoder, optionally attending over the encoder outputs, predicts
/// the target tokens. Parameters appear under <c>encoder.*</c> and <c>decoder.*</c>.
/// <code>
/// var encoder = new Seq2SeqEncoder(sourceVocabulary, 32, 64, decoderHiddenSize: 128);                 // bidirectional LSTM
/// var attention = new AdditiveAttention(querySize: 128, memorySize: encoder.OutputSize, attentionSize: 64);
/// var model = new Seq2SeqModel(encoder, new Seq2SeqDecoder(targetVocabulary, 32, 128, attention: attention), SequenceTokens.Default);
/// model.Loss(sources, targets).Backward();                                                           // teacher forcing
/// var best = model.BeamSearch(sources, new BeamSearchOptions(BeamWidth: 4, MaxLength: 20));
/// </code>
/// </summary>
public sealed class Seq2SeqModel : Module
{
    /// <summary>Joins an encoder and a decoder with matching sizes.</summary>
    public Seq2SeqModel(Seq2SeqEncoder encoder, Seq2SeqDecoder decoder, SequenceTokens? tokens = null)
    {
        if (encoder.DecoderHiddenSize != decoder.HiddenSize)
            throw new ArgumentException($"Seq2SeqModel: the encoder bridges to hidden size {encoder.DecoderHiddenSize} but the decoder's is {decoder.HiddenSize}");
        if (encoder.Rnn.NumLayers != decoder.Layers)
            throw new ArgumentException($"Seq2SeqModel: the encoder has {encoder.Rnn.NumLayers} layers and the decoder {decoder.Layers}; they must match");
        if (decoder.Attention is { } attention && attention.MemorySize != encoder.OutputSize)
            throw new ArgumentException($"Seq2SeqModel: the attention reads memory vectors of {attention.MemorySize} values but the encoder outputs {encoder.OutputSize}");
        Encoder = RegisterModule("encoder", encoder);
        Decoder = RegisterModule("decoder", decoder);
        Tokens = tokens ?? SequenceTokens.Default;
    }

    /// <summary>The encoder.</summary>
    public Seq2SeqEncoder Encoder { get; }

    /// <summary>The decoder.</summary>
    public Seq2SeqDecoder Decoder { get; }

    /// <summary>The padding, BOS and EOS ids.</summary>
    public SequenceTokens Tokens { get; }

    /// <summary>Encodes sources: the decoder's start state and, if the decoder attends, the prepared memory.</summary>
    public (DecoderState State, AttentionMemory? Memory) Encode(IReadOnlyList<int[]> sources)
    {
        var encoded = Encoder.Forward(sources);
        var state = encoded.InitialDecoderState;
        if (Decoder.Rnn.Kind == RecurrentKind.Lstm && state.Cell is null) state = state with { Cell = Tensor.ZerosLike(state.Hidden) };
        if (Decoder.Rnn.Kind == RecurrentKind.Gru) state = state with { Cell = null };
        return (state, Decoder.Attention?.Prepare(encoded.Outputs, encoded.Mask));
    }

    /// <summary>
    /// The mean cross-entropy over the real target steps (EOS included, padding ignored) of predicting each target from its source.
    /// A teacher forcing ratio below 1 feeds the model's own predictions at random steps (scheduled sampling; needs a generator).
    /// </summary>
    public Tensor Loss(IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets, double teacherForcingRatio = 1, Generator? generator = null)
    {
        if (sources.Count != targets.Count)
            throw new ArgumentException($"Seq2SeqModel: {sources.Count} sources but {targets.Count} targets");
        var (state, memory) = Encode(sources);
        return TeacherForcing.Loss(Decoder, state, memory, targets, Tokens, teacherForcingRatio, generator);
    }

    /// <summary>Greedy decoding of every source (see <see cref="SequenceDecoding.Greedy"/>).</summary>
    public DecodedSequence[] Greedy(IReadOnlyList<int[]> sources, int maxLength)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        var (state, memory) = Encode(sources);
        return SequenceDecoding.Greedy(Decoder, state, memory, Tokens, maxLength);
    }

    /// <summary>Beam search for every source (see <see cref="SequenceDecoding.BeamSearch"/>).</summary>
    public DecodedSequence[] BeamSearch(IReadOnlyList<int[]> sources, BeamSearchOptions options)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        var (state, memory) = Encode(sources);
        return SequenceDecoding.BeamSearch(Decoder, state, memory, Tokens, options);
    }
}
