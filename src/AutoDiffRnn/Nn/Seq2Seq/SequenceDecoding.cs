using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Generating sequences with a trained <see cref="Seq2SeqDecoder"/>: greedy decoding and beam search, from a start state (and, with
/// attention, the encoder's memory) for a whole batch at once. Both run without recording gradients and stop at EOS or the maximum length.
/// </summary>
public static class SequenceDecoding
{
    /// <summary>Greedy decoding: at every step the most likely token (the lowest id on ties), for every sequence of the batch.</summary>
    public static DecodedSequence[] Greedy(Seq2SeqDecoder decoder, DecoderState state, AttentionMemory? memory, SequenceTokens tokens, int maxLength)
    {
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), $"greedy decoding: the maximum length must be positive, got {maxLength}");
        using var _ = GradMode.NoGrad();
        int batch = state.BatchSize;
        var generated = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var attention = Enumerable.Range(0, batch).Select(_ => new List<double[]>()).ToArray();
        var logProbability = new double[batch];
        var finished = new bool[batch];
        var previous = Enumerable.Repeat(tokens.Begin, batch).ToArray();
        int[] lengths = SourceLengths(memory, batch);
        for (int t = 0; t < maxLength && !finished.All(f => f); t++)
        {
            var step = decoder.Step(previous, state, memory);
            state = step.State;
            var logits = step.Logits.Reshape(batch, decoder.VocabularySize);
            var logSoftmax = logits.LogSoftmax(1).ToDoubleArray();
            var best = logits.ArgMax(1);
            var weights = step.AttentionWeights?.ToDoubleArray();
            for (int b = 0; b < batch; b++)
            {
                if (finished[b]) continue;
                logProbability[b] += logSoftmax[b * decoder.VocabularySize + best[b]];
                if (weights is not null) attention[b].Add(weights.AsSpan(b * memory!.Steps, lengths[b]).ToArray());
                if (best[b] == tokens.End) finished[b] = true;
                else generated[b].Add(best[b]);
            }
            previous = best;
        }
        return Enumerable.Range(0, batch).Select(b => new DecodedSequence(generated[b].ToArray(), logProbability[b], logProbability[b], finished[b],
            memory is null ? null : attention[b].ToArray())).ToArray();
    }

    private sealed record Hypothesis(int[] Tokens, double LogProbability, double[][] Weights, int Row);

    /// <summary>
    /// Beam search for every sequence of the batch: each source keeps the <see cref="BeamSearchOptions.BeamWidth"/> most likely partial
    /// hypotheses (ranked by log-probability); a candidate that emits EOS among them is finished and scored log p / ((5 + |y|)/6)^α.
    /// A source stops when its most likely candidate of the step ends with EOS (OpenNMT's rule: the best hypothesis is complete), or when
    /// no live hypothesis can still beat its best finished one (log-probabilities only fall as a hypothesis grows, so a live one's bound
    /// is its log p over the normaliser at the maximum length), or at the maximum length (a source with no finished hypothesis then
    /// returns its best unfinished one). Returns each source's best-scoring hypothesis. With width 1 this is greedy decoding; with α = 0
    /// and a beam wide enough to hold every hypothesis it finds the most likely sequence exactly (with α &gt; 0 the first stopping rule
    /// can end the search before a longer hypothesis overtakes).
    /// </summary>
    public static DecodedSequence[] BeamSearch(Seq2SeqDecoder decoder, DecoderState state, AttentionMemory? memory, SequenceTokens tokens, BeamSearchOptions options)
    {
        if (options.BeamWidth <= 0 || options.MaxLength <= 0 || options.LengthPenalty < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"beam search: width and maximum length must be positive and the length penalty non-negative, got {options}");
        using var _ = GradMode.NoGrad();
        int sources = state.BatchSize, width = options.BeamWidth, vocabulary = decoder.VocabularySize;
        int[] lengths = SourceLengths(memory, sources);
        // Row s·width + k holds beam k of source s; the memory rows never move, only the decoder state rows are reordered.
        var repeat = Enumerable.Range(0, sources * width).Select(row => row / width).ToArray();
        state = state.SelectRows(repeat);
        memory = memory?.SelectRows(repeat);
        var alive = Enumerable.Range(0, sources).Select(s => new List<Hypothesis> { new([], 0, [], s * width) }).ToArray();
        var complete = Enumerable.Range(0, sources).Select(_ => new List<(Hypothesis Hypothesis, double Score)>()).ToArray();
        var done = new bool[sources];
        var previous = Enumerable.Repeat(tokens.Begin, sources * width).ToArray();
        for (int t = 0; t < options.MaxLength && !done.All(d => d); t++)
        {
            var step = decoder.Step(previous, state, memory);
            var logSoftmax = step.Logits.Reshape(sources * width, vocabulary).LogSoftmax(1).ToDoubleArray();
            var weights = step.AttentionWeights?.ToDoubleArray();
            var parents = new int[sources * width];
            for (int row = 0; row < parents.Length; row++) parents[row] = row;
            for (int s = 0; s < sources; s++)
            {
                if (done[s]) continue;
                var candidates = new List<(double LogProbability, Hypothesis Parent, int Token)>(alive[s].Count * vocabulary);
                foreach (var hypothesis in alive[s])
                    for (int v = 0; v < vocabulary; v++)
                        candidates.Add((hypothesis.LogProbability + logSoftmax[hypothesis.Row * vocabulary + v], hypothesis, v));
                var next = new List<Hypothesis>(width);
                bool bestEnds = false, first = true;
                foreach (var (logProbability, parent, token) in candidates.OrderByDescending(c => c.LogProbability))
                {
                    bestEnds |= first && token == tokens.End;
                    first = false;
                    var stepWeights = weights is null ? parent.Weights
                        : [.. parent.Weights, weights.AsSpan(parent.Row * memory!.Steps, lengths[s]).ToArray()];
                    if (token == tokens.End)
                    {
                        var finished = new Hypothesis(parent.Tokens, logProbability, stepWeights, -1);
                        complete[s].Add((finished, logProbability / options.Normalizer(parent.Tokens.Length + 1)));
                    }
                    else
                    {
                        int row = s * width + next.Count;
                        parents[row] = parent.Row;
                        previous[row] = token;
                        next.Add(new Hypothesis([.. parent.Tokens, token], logProbability, stepWeights, row));
                    }
                    if (next.Count == width) break;
                }
                alive[s] = next;
                double bestComplete = complete[s].Count == 0 ? double.NegativeInfinity : complete[s].Max(c => c.Score);
                double bound = next.Count == 0 ? double.NegativeInfinity : next[0].LogProbability / options.Normalizer(options.MaxLength);
                done[s] = bestEnds || bestComplete >= bound;
            }
            state = step.State.SelectRows(parents);
        }
        return Enumerable.Range(0, sources).Select(s =>
        {
            var ranked = complete[s].Select(c => (c.Hypothesis, c.Score, Finished: true))
                .Concat(complete[s].Count > 0 ? [] : alive[s].Select(h => (Hypothesis: h, Score: h.LogProbability / options.Normalizer(h.Tokens.Length), Finished: false)))
                .OrderByDescending(c => c.Score).First();
            return new DecodedSequence(ranked.Hypothesis.Tokens, ranked.Hypothesis.LogProbability, ranked.Score, ranked.Finished,
                memory is null ? null : ranked.Hypothesis.Weights);
        }).ToArray();
    }

    private static int[] SourceLengths(AttentionMemory? memory, int batch)
    {
        if (memory is null) return new int[batch];
        if (memory.BatchSize != batch)
            throw new ArgumentException($"decoding: the memory's batch {memory.BatchSize} differs from the state's batch {batch}");
        var mask = memory.Mask.ToDoubleArray();
        return Enumerable.Range(0, batch).Select(b => (int)mask.AsSpan(b * memory.Steps, memory.Steps).ToArray().Sum()).ToArray();
    }
}
