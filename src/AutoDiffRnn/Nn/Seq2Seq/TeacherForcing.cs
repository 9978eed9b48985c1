namespace AutoDiffRnn.Nn.Seq2Seq;

/// <summary>
/// Training a decoder on target sequences: it is fed BOS y₁ … yₙ and must predict y₁ … yₙ EOS; the batch is padded to the longest
/// target + 1, and the cross-entropy is the mean over the real target steps (EOS included), padding ignored.
/// </summary>
public static class TeacherForcing
{
    /// <summary>
    /// The decoder's inputs (time-major, steps × B: BOS then the target, padded) and the expected outputs (batch-major, B × steps:
    /// the target then EOS, padded with the padding id, which the loss ignores).
    /// </summary>
    public static (int[] InputIds, int Steps, int[] TargetIds) Batch(IReadOnlyList<int[]> targets, SequenceTokens tokens)
    {
        if (targets.Count == 0) throw new ArgumentException("TeacherForcing: no target sequences");
        int batch = targets.Count, steps = targets.Max(t => t.Length) + 1;
        var inputs = new int[steps * batch];
        var expected = new int[batch * steps];
        Array.Fill(inputs, tokens.Padding);
        Array.Fill(expected, tokens.Padding);
        for (int b = 0; b < batch; b++)
        {
            var target = targets[b];
            if (target.Contains(tokens.Padding) || target.Contains(tokens.Begin) || target.Contains(tokens.End))
                throw new ArgumentException($"TeacherForcing: target {b} contains a special token (padding {tokens.Padding}, BOS {tokens.Begin} or EOS {tokens.End})");
            inputs[b] = tokens.Begin;
            for (int t = 0; t < target.Length; t++)
            {
                inputs[(t + 1) * batch + b] = target[t];
                expected[b * steps + t] = target[t];
            }
            expected[b * steps + target.Length] = tokens.End;
        }
        return (inputs, steps, expected);
    }

    /// <summary>
    /// The mean cross-entropy of the decoder's predictions of <paramref name="targets"/> from <paramref name="state"/> (and the memory,
    /// with attention). A teacher forcing ratio below 1 runs scheduled sampling (<see cref="Seq2SeqDecoder.ForwardScheduled"/>) and
    /// needs a generator.
    /// </summary>
    public static Tensor Loss(Seq2SeqDecoder decoder, DecoderState state, AttentionMemory? memory, IReadOnlyList<int[]> targets,
        SequenceTokens tokens, double teacherForcingRatio = 1, Generator? generator = null)
    {
        if (targets.Count != state.BatchSize)
            throw new ArgumentException($"TeacherForcing: {targets.Count} targets for a decoder state of batch {state.BatchSize}");
        var (inputs, steps, expected) = Batch(targets, tokens);
        var output = teacherForcingRatio >= 1
            ? decoder.Forward(inputs, steps, state, memory)
            : decoder.ForwardScheduled(inputs, steps, state, memory, teacherForcingRatio,
                generator ?? throw new ArgumentNullException(nameof(generator), "TeacherForcing: scheduled sampling (ratio < 1) needs a generator"));
        return AutoDiffRnn.Losses.Loss.CrossEntropy(output.Logits.Reshape(-1, decoder.VocabularySize), expected, ignoreIndex: tokens.Padding);
    }
}
