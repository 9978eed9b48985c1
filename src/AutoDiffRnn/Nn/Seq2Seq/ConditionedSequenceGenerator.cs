namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// One-to-many generation: a decoder conditioned on a fixed input vector (image features, a class embedding, ...) generates a
/// sequence, as in image captioning (Vinyals et al. 2015). The vector sets the decoder's initial state, h₀ = tanh(W_h x + b_h) for every
/// layer (<c>initial_hidden.*</c>) and, for an LSTM, c₀ = W_c x + b_c (<c>initial_cell.*</c>); the decoder (<c>decoder.*</c>, no
/// attention) is then trained with teacher forcing and decoded greedily or with beam search.
/// </summary>
public sealed class ConditionedSequenceGenerator : Module
{
    private readonly Linear initialHidden;
    private readonly Linear? initialCell;

    /// <summary>Creates the generator.</summary>
    public ConditionedSequenceGenerator(int conditionSize, int vocabularySize, int embeddingSize, int hiddenSize, int layers = 1,
        RecurrentKind kind = RecurrentKind.Lstm, SequenceTokens? tokens = null, DType dtype = DType.Float32, Generator? generator = null)
    {
        Tokens = tokens ?? SequenceTokens.Default;
        initialHidden = RegisterModule("initial_hidden", new Linear(conditionSize, layers * hiddenSize, dtype: dtype, generator: generator));
        if (kind == RecurrentKind.Lstm)
            initialCell = RegisterModule("initial_cell", new Linear(conditionSize, layers * hiddenSize, dtype: dtype, generator: generator));
        Decoder = RegisterModule("decoder", new Seq2SeqDecoder(vocabularySize, embeddingSize, hiddenSize, layers, kind, null, Tokens.Padding, dtype, generator));
        ConditionSize = conditionSize;
    }

    /// <summary>The decoder (without attention).</summary>
    public Seq2SeqDecoder Decoder { get; }

    /// <summary>The length of each condition vector.</summary>
    public int ConditionSize { get; }

    /// <summary>The padding, BOS and EOS ids.</summary>
    public SequenceTokens Tokens { get; }

    /// <summary>The decoder's start state for conditions (B, C).</summary>
    public DecoderState InitialState(Tensor conditions)
    {
        if (conditions.Rank != 2 || conditions.Shape[1] != ConditionSize)
            throw new ArgumentException($"ConditionedSequenceGenerator: expected conditions (batch, {ConditionSize}), got {conditions.Shape}");
        int batch = conditions.Shape[0], layers = Decoder.Layers, hidden = Decoder.HiddenSize;
        Tensor Layout(Tensor flat) => flat.Reshape(batch, layers, hidden).Transpose(0, 1);     // (layers, B, H)
        return new DecoderState(Layout(initialHidden.Forward(conditions).Tanh()), initialCell is null ? null : Layout(initialCell.Forward(conditions)));
    }

    /// <summary>The mean cross-entropy of generating each target from its condition (teacher forcing; scheduled sampling below ratio 1).</summary>
    public Tensor Loss(Tensor conditions, IReadOnlyList<int[]> targets, double teacherForcingRatio = 1, Generator? generator = null) =>
        TeacherForcing.Loss(Decoder, InitialState(conditions), null, targets, Tokens, teacherForcingRatio, generator);

    /// <summary>Greedy generation for each condition.</summary>
    public DecodedSequence[] Greedy(Tensor conditions, int maxLength)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        return SequenceDecoding.Greedy(Decoder, InitialState(conditions), null, Tokens, maxLength);
    }

    /// <summary>Beam search for each condition.</summary>
    public DecodedSequence[] BeamSearch(Tensor conditions, BeamSearchOptions options)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        return SequenceDecoding.BeamSearch(Decoder, InitialState(conditions), null, Tokens, options);
    }
}
