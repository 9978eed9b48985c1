namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// The decoder of a sequence-to-sequence model, with its own parameters: an embedding of the previous target token, an LSTM or GRU,
/// optional attention over the encoder outputs and an output projection to the target vocabulary. With attention (any
/// <see cref="Attention"/> score: additive/Bahdanau, dot or general/Luong) the context cₜ and the recurrent output hₜ make the
/// attentional state h̃ₜ = tanh(W_c [cₜ; hₜ] + b_c) (<c>combine.*</c>) and logitsₜ = W_o h̃ₜ + b_o (<c>output.*</c>); without attention
/// logitsₜ = W_o hₜ + b_o. <see cref="AttentionPlacement"/> chooses whether hₜ queries the memory after the recurrent step (Luong, the
/// default: a teacher-forced batch runs the recurrent layer over all target steps at once on the fused kernel and attends from every
/// step with one batched product) or the previous state queries it and the context joins the recurrent input (Bahdanau, step by step).
/// Parameters: <c>embedding.weight</c>, <c>rnn.*</c>, <c>attention.*</c>, <c>combine.*</c>, <c>output.*</c>.
/// </summary>
public sealed class Seq2SeqDecoder : Module
{
    private readonly Linear? combine;

    /// <summary>Creates the decoder.</summary>
    /// <param name="vocabularySize">Target vocabulary size V.</param>
    /// <param name="embeddingSize">Embedding dimension of target tokens.</param>
    /// <param name="hiddenSize">Hidden size H of the recurrent layers.</param>
    /// <param name="layers">Stacked layers.</param>
    /// <param name="kind">LSTM or GRU.</param>
    /// <param name="attention">Attention over the encoder outputs (its query size must be H), or null for none.</param>
    /// <param name="paddingIndex">The padding id (its embedding row stays zero).</param>
    /// <param name="dtype">Element type of the parameters.</param>
    /// <param name="generator">Seeded initialization.</param>
    /// <param name="placement">Where the attention sits (ignored without attention).</param>
    public Seq2SeqDecoder(int vocabularySize, int embeddingSize, int hiddenSize, int layers = 1, RecurrentKind kind = RecurrentKind.Lstm,
        Attention? attention = null, int paddingIndex = 0, DType dtype = DType.Float32, Generator? generator = null,
        AttentionPlacement placement = AttentionPlacement.AfterRecurrence)
    {
        if (kind is not (RecurrentKind.Lstm or RecurrentKind.Gru))
            throw new ArgumentException($"Seq2SeqDecoder: the recurrence must be an LSTM or a GRU, got {kind}");
        if (attention is not null && attention.QuerySize != hiddenSize)
            throw new ArgumentException($"Seq2SeqDecoder: the attention's query size {attention.QuerySize} must equal the decoder's hidden size {hiddenSize}");
        Placement = placement;
        int inputSize = embeddingSize + (attention is not null && placement == AttentionPlacement.BeforeRecurrence ? attention.MemorySize : 0);
        Embedding = RegisterModule("embedding", new Embedding(vocabularySize, embeddingSize, paddingIndex, dtype, generator));
        Rnn = RegisterModule("rnn", new RecurrentLayer(kind, inputSize, hiddenSize, layers, dtype: dtype, generator: generator) { UseFusedKernels = true });
        if (attention is not null)
        {
            Attention = RegisterModule("attention", attention);
            combine = RegisterModule("combine", new Linear(attention.MemorySize + hiddenSize, hiddenSize, dtype: dtype, generator: generator));
        }
        Output = RegisterModule("output", new Linear(hiddenSize, vocabularySize, dtype: dtype, generator: generator));
        VocabularySize = vocabularySize;
    }

    /// <summary>The target token embedding.</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent layer (fused kernels on; turn off for gradients of gradients).</summary>
    public RecurrentLayer Rnn { get; }

    /// <summary>Where the attention sits relative to the recurrent step.</summary>
    public AttentionPlacement Placement { get; }

    /// <summary>The attention module, or null.</summary>
    public Attention? Attention { get; }

    /// <summary>The projection to the vocabulary.</summary>
    public Linear Output { get; }

    /// <summary>The target vocabulary size V.</summary>
    public int VocabularySize { get; }

    /// <summary>The hidden size H.</summary>
    public int HiddenSize => Rnn.HiddenSize;

    /// <summary>The number of stacked layers.</summary>
    public int Layers => Rnn.NumLayers;

    /// <summary>A zero state for a batch (what a decoder starts from without an encoder).</summary>
    public DecoderState ZeroState(int batchSize) => new(
        Tensor.Zeros(new Shape(Layers, batchSize, HiddenSize), Output.Weight.DType),
        Rnn.Kind == RecurrentKind.Lstm ? Tensor.Zeros(new Shape(Layers, batchSize, HiddenSize), Output.Weight.DType) : null);

    /// <summary>
    /// Runs <paramref name="steps"/> steps fed with the given tokens (teacher forcing): <paramref name="inputIds"/> holds steps × B ids,
    /// time-major (row t is the tokens fed at step t). The memory is required with attention and ignored without.
    /// </summary>
    public DecoderOutput Forward(int[] inputIds, int steps, DecoderState state, AttentionMemory? memory = null)
    {
        int batch = state.BatchSize;
        if (steps <= 0 || inputIds.Length != steps * batch)
            throw new ArgumentException($"Seq2SeqDecoder: {inputIds.Length} input ids do not fill {steps} steps of a batch of {batch}");
        if (Attention is not null && memory is null)
            throw new ArgumentException("Seq2SeqDecoder: this decoder has attention, so Forward needs the encoder's memory");
        if (memory is not null && memory.BatchSize != batch)
            throw new ArgumentException($"Seq2SeqDecoder: the memory's batch {memory.BatchSize} differs from the state's batch {batch}");
        var cell = Rnn.Kind == RecurrentKind.Lstm ? state.Cell ?? Tensor.ZerosLike(state.Hidden) : null;
        if (Attention is not null && Placement == AttentionPlacement.BeforeRecurrence)
            return ForwardAttendingFirst(inputIds, steps, new DecoderState(state.Hidden, cell), memory!);
        var result = Rnn.Forward(Embedding.Forward(inputIds, new Shape(steps, batch)), state.Hidden, cell);   // output (T, B, H)
        var hidden = steps == 1 ? result.Output.Reshape(batch, 1, HiddenSize) : result.Output.Transpose(0, 1); // (B, T, H)
        Tensor? weights = null;
        if (Attention is not null)
        {
            var attended = Attention.Forward(hidden, memory!);
            hidden = combine!.Forward(Tensor.Concat([attended.Context, hidden], 2)).Tanh();
            weights = attended.Weights;
        }
        return new DecoderOutput(Output.Forward(hidden), new DecoderState(result.Hidden, result.Cell), weights);
    }

    private DecoderOutput ForwardAttendingFirst(int[] inputIds, int steps, DecoderState state, AttentionMemory memory)
    {
        int batch = state.BatchSize;
        var logits = new Tensor[steps];
        var weights = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var query = state.Hidden.Select(0, Layers - 1).Reshape(batch, 1, HiddenSize);                       // hₜ₋₁ of the top layer
            var attended = Attention!.Forward(query, memory);                                                    // context (B, 1, M)
            var embedded = Embedding.Forward(inputIds[(t * batch)..((t + 1) * batch)], new Shape(1, batch));      // (1, B, E)
            var input = Tensor.Concat([embedded, attended.Context.Reshape(1, batch, Attention.MemorySize)], 2);
            var result = Rnn.Forward(input, state.Hidden, state.Cell);
            var hidden = result.Output.Reshape(batch, 1, HiddenSize);
            logits[t] = Output.Forward(combine!.Forward(Tensor.Concat([attended.Context, hidden], 2)).Tanh());
            weights[t] = attended.Weights;
            state = new DecoderState(result.Hidden, result.Cell);
        }
        return new DecoderOutput(steps == 1 ? logits[0] : Tensor.Concat(logits, 1), state, steps == 1 ? weights[0] : Tensor.Concat(weights, 1));
    }

    /// <summary>One step: the previous token of each sequence (B ids) → logits (B, 1, V), the next state and the weights.</summary>
    public DecoderOutput Step(int[] previousIds, DecoderState state, AttentionMemory? memory = null) => Forward(previousIds, 1, state, memory);

    /// <summary>
    /// Scheduled sampling (Bengio et al. 2015): runs step by step, feeding at each step t ≥ 1 and for each sequence the given token with
    /// probability <paramref name="teacherForcingRatio"/> and otherwise the model's own most likely token from step t − 1. Step 0 always
    /// gets the given token (BOS). With a ratio of 1 this equals <see cref="Forward"/>, which is much faster.
    /// </summary>
    public DecoderOutput ForwardScheduled(int[] inputIds, int steps, DecoderState state, AttentionMemory? memory, double teacherForcingRatio, Generator generator)
    {
        if (teacherForcingRatio is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(teacherForcingRatio), $"Seq2SeqDecoder: the teacher forcing ratio must be in [0, 1], got {teacherForcingRatio}");
        int batch = state.BatchSize;
        if (steps <= 0 || inputIds.Length != steps * batch)
            throw new ArgumentException($"Seq2SeqDecoder: {inputIds.Length} input ids do not fill {steps} steps of a batch of {batch}");
        var logits = new Tensor[steps];
        var weights = new Tensor[steps];
        var fed = inputIds[..batch];
        for (int t = 0; t < steps; t++)
        {
            if (t > 0)
            {
                var predicted = logits[t - 1].Reshape(batch, VocabularySize).ArgMax(1);
                fed = new int[batch];
                for (int b = 0; b < batch; b++)
                    fed[b] = generator.NextDouble() < teacherForcingRatio ? inputIds[t * batch + b] : predicted[b];
            }
            var step = Step(fed, state, memory);
            (logits[t], state) = (step.Logits, step.State);
            if (step.AttentionWeights is not null) weights[t] = step.AttentionWeights;
        }
        return new DecoderOutput(Tensor.Concat(logits, 1), state, Attention is null ? null : Tensor.Concat(weights, 1));
    }
}
