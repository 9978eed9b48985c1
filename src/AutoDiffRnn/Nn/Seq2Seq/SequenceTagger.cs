using AutoDiffRnn.Data;

namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Many-to-many aligned tagging (one tag per token, e.g. parts of speech): an embedding and a (bi)directional, stacked LSTM or GRU over a
/// padded batch (<c>encoder.*</c>, a <see cref="Seq2SeqEncoder"/> whose final states are unused), then a linear layer from each step's
/// output to tag scores (<c>output.*</c>). A bidirectional encoder sees the words on both sides of each token, which tagging an
/// ambiguous word needs. The loss is the cross-entropy over real tokens only.
/// </summary>
public sealed class SequenceTagger : Module
{
    /// <summary>Creates the tagger.</summary>
    public SequenceTagger(int vocabularySize, int embeddingSize, int hiddenSize, int tagCount, int layers = 1, bool bidirectional = true,
        RecurrentKind kind = RecurrentKind.Lstm, int paddingIndex = 0, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (tagCount <= 0) throw new ArgumentException($"SequenceTagger: the tag count must be positive, got {tagCount}");
        Encoder = RegisterModule("encoder", new Seq2SeqEncoder(vocabularySize, embeddingSize, hiddenSize, (bidirectional ? 2 : 1) * hiddenSize, layers,
            bidirectional, kind, EncoderBridge.Concatenation, paddingIndex, dtype, generator));
        Output = RegisterModule("output", new Linear(Encoder.OutputSize, tagCount, dtype: dtype, generator: generator));
        TagCount = tagCount;
    }

    /// <summary>The embedding and recurrent layers.</summary>
    public Seq2SeqEncoder Encoder { get; }

    /// <summary>The projection to tag scores.</summary>
    public Linear Output { get; }

    /// <summary>The number of tags.</summary>
    public int TagCount { get; }

    /// <summary>Tag scores (B, T, tags) for a batch of sentences padded to the longest (scores at padding are meaningless).</summary>
    public Tensor Logits(IReadOnlyList<int[]> sentences) => Output.Forward(Encoder.Forward(sentences).Outputs);

    /// <summary>The mean cross-entropy over every real token of the batch; each tag sequence must be as long as its sentence.</summary>
    public Tensor Loss(IReadOnlyList<int[]> sentences, IReadOnlyList<int[]> tags)
    {
        if (sentences.Count != tags.Count)
            throw new ArgumentException($"SequenceTagger: {sentences.Count} sentences but {tags.Count} tag sequences");
        for (int b = 0; b < sentences.Count; b++)
            if (sentences[b].Length != tags[b].Length)
                throw new ArgumentException($"SequenceTagger: sentence {b} has {sentences[b].Length} tokens but {tags[b].Length} tags");
        var logits = Logits(sentences);
        int steps = logits.Shape[1];
        const int ignore = -100;
        var targets = new int[sentences.Count * steps];
        Array.Fill(targets, ignore);
        for (int b = 0; b < tags.Count; b++)
            for (int t = 0; t < tags[b].Length; t++) targets[b * steps + t] = tags[b][t];
        return Losses.Loss.CrossEntropy(logits.Reshape(-1, TagCount), targets, ignoreIndex: ignore);
    }

    /// <summary>The most likely tag of every token.</summary>
    public int[][] Predict(IReadOnlyList<int[]> sentences)
    {
        using var _ = Autodiff.GradMode.NoGrad();
        var logits = Logits(sentences);
        int steps = logits.Shape[1];
        var best = logits.Reshape(-1, TagCount).ArgMax(1);
        return sentences.Select((sentence, b) => best.AsSpan(b * steps, sentence.Length).ToArray()).ToArray();
    }
}
