using AutoDiffRnn.Data;

namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// The encoder of a sequence-to-sequence model: an embedding followed by a (bi)directional, stacked LSTM or GRU over a padded batch of
/// variable-length token sequences, with PyTorch's packed-sequence semantics (padding changes nothing). It returns every step's output
/// (the attention memory) and its final states bridged to the decoder's hidden size (<see cref="EncoderBridge"/>).
/// Parameters: <c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, <c>rnn.weight_ih_l0_reverse</c>, ..., and with a projection bridge
/// <c>bridge_hidden.weight</c>, <c>bridge_hidden.bias</c> (and <c>bridge_cell.*</c> for LSTMs).
/// The recurrent layer runs on the fused kernels (first-order gradients); set <c>Rnn.UseFusedKernels = false</c> for double backward.
/// </summary>
public sealed class Seq2SeqEncoder : Module
{
    private readonly Linear? bridgeHidden, bridgeCell;

    /// <summary>Creates the encoder.</summary>
    /// <param name="vocabularySize">Source vocabulary size (ids 0..size−1).</param>
    /// <param name="embeddingSize">Embedding dimension.</param>
    /// <param name="hiddenSize">Hidden size of each direction.</param>
    /// <param name="decoderHiddenSize">The hidden size of the decoder the final states are bridged to.</param>
    /// <param name="layers">Stacked layers (the decoder must have as many).</param>
    /// <param name="bidirectional">Whether each layer reads the sequence both ways.</param>
    /// <param name="kind">LSTM or GRU.</param>
    /// <param name="bridge">How final states become the decoder's initial state.</param>
    /// <param name="paddingIndex">The padding id (its embedding row stays zero).</param>
    /// <param name="dtype">Element type of the parameters.</param>
    /// <param name="generator">Seeded initialization.</param>
    public Seq2SeqEncoder(int vocabularySize, int embeddingSize, int hiddenSize, int decoderHiddenSize, int layers = 1, bool bidirectional = true,
        RecurrentKind kind = RecurrentKind.Lstm, EncoderBridge bridge = EncoderBridge.Projection, int paddingIndex = 0,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        if (kind is not (RecurrentKind.Lstm or RecurrentKind.Gru))
            throw new ArgumentException($"Seq2SeqEncoder: the recurrence must be an LSTM or a GRU, got {kind}");
        int directions = bidirectional ? 2 : 1;
        if (bridge == EncoderBridge.Concatenation && decoderHiddenSize != directions * hiddenSize)
            throw new ArgumentException($"Seq2SeqEncoder: a concatenation bridge gives states of {directions}·{hiddenSize} = {directions * hiddenSize} " +
                $"values, but the decoder's hidden size is {decoderHiddenSize}; use EncoderBridge.Projection or matching sizes");
        if (decoderHiddenSize <= 0) throw new ArgumentException($"Seq2SeqEncoder: the decoder hidden size must be positive, got {decoderHiddenSize}");
        Embedding = RegisterModule("embedding", new Embedding(vocabularySize, embeddingSize, paddingIndex, dtype, generator));
        Rnn = RegisterModule("rnn", new RecurrentLayer(kind, embeddingSize, hiddenSize, layers, bidirectional: bidirectional, dtype: dtype, generator: generator)
        {
            UseFusedKernels = true,
        });
        if (bridge == EncoderBridge.Projection)
        {
            bridgeHidden = RegisterModule("bridge_hidden", new Linear(directions * hiddenSize, decoderHiddenSize, dtype: dtype, generator: generator));
            if (kind == RecurrentKind.Lstm)
                bridgeCell = RegisterModule("bridge_cell", new Linear(directions * hiddenSize, decoderHiddenSize, dtype: dtype, generator: generator));
        }
        (Bridge, DecoderHiddenSize, PaddingIndex) = (bridge, decoderHiddenSize, paddingIndex);
    }

    /// <summary>The token embedding.</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent layer (fused kernels on).</summary>
    public RecurrentLayer Rnn { get; }

    /// <summary>How the final states are bridged.</summary>
    public EncoderBridge Bridge { get; }

    /// <summary>The size of each output step: directions × hidden size (the attention memory's width).</summary>
    public int OutputSize => Rnn.Directions * Rnn.HiddenSize;

    /// <summary>The decoder hidden size the final states are bridged to.</summary>
    public int DecoderHiddenSize { get; }

    /// <summary>The padding id.</summary>
    public int PaddingIndex { get; }

    /// <summary>Encodes a batch of token sequences (each at least one token long), padding them to the longest.</summary>
    public EncoderOutput Forward(IReadOnlyList<int[]> sources) => Forward(Sequences.Pad(sources, PaddingIndex));

    /// <summary>Encodes a padded, time-major batch (see <see cref="Sequences.Pad"/>).</summary>
    public EncoderOutput Forward(PaddedBatch batch)
    {
        int steps = batch.Steps, size = batch.BatchSize;
        var embedded = Embedding.Forward(batch.Ids, new Shape(steps, size));                 // (S, B, E)
        var result = Rnn.Forward(embedded, lengths: batch.Lengths);
        var outputs = result.Output.Transpose(0, 1);                                          // (B, S, D·H)
        var mask = batch.Mask(embedded.DType).Transpose(0, 1).Detach();                       // (B, S)
        return new EncoderOutput(outputs, mask, batch.Lengths, BridgeStates(result));
    }

    private DecoderState BridgeStates(RecurrentOutput result)
    {
        int layers = Rnn.NumLayers, directions = Rnn.Directions;
        Tensor Join(Tensor states, int layer) => directions == 1
            ? states.Select(0, layer)
            : Tensor.Concat([states.Select(0, 2 * layer), states.Select(0, 2 * layer + 1)], 1);       // (B, D·H)
        var hidden = new Tensor[layers];
        var cell = result.Cell is null ? null : new Tensor[layers];
        for (int layer = 0; layer < layers; layer++)
        {
            var h = Join(result.Hidden, layer);
            hidden[layer] = bridgeHidden is null ? h : bridgeHidden.Forward(h).Tanh();
            if (cell is not null)
            {
                var c = Join(result.Cell!, layer);
                cell[layer] = bridgeCell is null ? c : bridgeCell.Forward(c);
            }
        }
        return new DecoderState(Tensor.Stack(hidden, 0), cell is null ? null : Tensor.Stack(cell, 0));
    }
}
