using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;

namespace AutoDiffRnn.Tests.Nn.Seq2Seq;

/// <summary>Greedy decoding and beam search on untrained models, against each other and against exhaustive enumeration.</summary>
public class DecodingTests
{
    private static readonly int[][] Sources = [[3, 4, 5, 6], [6, 3], [4, 4, 5], [5]];

    [Theory]
    [InlineData("additive", 1UL)]
    [InlineData("general", 2UL)]
    [InlineData("none", 3UL)]
    [InlineData("bahdanau", 4UL)]
    public void BeamSearchOfWidthOneIsGreedyDecoding(string attention, ulong seed)
    {
        var model = Seq2SeqModelTests.Tiny(attention, seed: seed);
        var greedy = model.Greedy(Sources, 6);
        foreach (var penalty in new[] { 0.0, 1.0 })
        {
            var beam = model.BeamSearch(Sources, new BeamSearchOptions(1, 6, penalty));
            for (int i = 0; i < Sources.Length; i++)
            {
                Assert.Equal(greedy[i].Tokens, beam[i].Tokens);
                Assert.Equal(greedy[i].LogProbability, beam[i].LogProbability, 12);
                Assert.Equal(greedy[i].Finished, beam[i].Finished);
                if (attention != "none") Assert.Equal(greedy[i].AttentionWeights!.Length, beam[i].AttentionWeights!.Length);
            }
        }
    }

    /// <summary>log p(tokens, EOS | source) by teacher forcing.</summary>
    private static double LogProbability(Seq2SeqModel model, int[] source, int[] tokens, bool withEnd)
    {
        using var _ = GradMode.NoGrad();
        var (state, memory) = model.Encode([source]);
        var inputs = new[] { model.Tokens.Begin }.Concat(tokens).ToArray();
        var expected = withEnd ? tokens.Append(model.Tokens.End).ToArray() : tokens;
        var logSoftmax = model.Decoder.Forward(inputs[..expected.Length], expected.Length, state, memory).Logits
            .Reshape(expected.Length, model.Decoder.VocabularySize).LogSoftmax(1);
        return expected.Select((token, t) => logSoftmax[t, token]).Sum();
    }

    private static IEnumerable<int[]> AllSequences(int vocabulary, int end, int length) =>
        length == 0 ? [[]] : AllSequences(vocabulary, end, length - 1).SelectMany(prefix =>
            Enumerable.Range(0, vocabulary).Where(v => v != end).Select(v => prefix.Append(v).ToArray()));

    [Theory]
    [InlineData(0.0, 1UL)]
    [InlineData(0.0, 2UL)]
    [InlineData(1.0, 3UL)]
    public void AWideBeamFindsTheMostLikelySequenceFoundByEnumeration(double penalty, ulong seed)
    {
        const int vocabulary = 4, maxLength = 4;   // PAD, BOS, EOS and one word: 3 non-EOS tokens per step
        var model = Seq2SeqModelTests.Tiny("additive", seed: seed, vocabulary: vocabulary);
        var options = new BeamSearchOptions(27, maxLength, penalty);
        int[][] sources = [[3, 3, 0 + 3], [3]];
        var beam = model.BeamSearch(sources, options);
        for (int i = 0; i < sources.Length; i++)
        {
            var finished = Enumerable.Range(0, maxLength).SelectMany(length => AllSequences(vocabulary, 2, length))
                .Select(tokens => (Tokens: tokens, LogP: LogProbability(model, sources[i], tokens, withEnd: true)))
                .Select(c => (c.Tokens, c.LogP, Score: c.LogP / options.Normalizer(c.Tokens.Length + 1)))
                .OrderByDescending(c => c.Score).ToList();
            Assert.True(beam[i].Finished);
            Assert.Equal(finished[0].Tokens, beam[i].Tokens);
            Assert.Equal(finished[0].LogP, beam[i].LogProbability, 10);
            Assert.Equal(finished[0].Score, beam[i].Score, 10);
            Assert.True(finished[0].Score > finished[1].Score + 1e-9, "the optimum should be unique for the test to mean something");
        }
    }

    [Fact]
    public void DecodingReturnsLogProbabilitiesAndAttentionRowsOverTheRealSourceSteps()
    {
        var model = Seq2SeqModelTests.Tiny("dot", seed: 5);
        foreach (var decoded in new[] { model.Greedy(Sources, 5), model.BeamSearch(Sources, new BeamSearchOptions(3, 5)) })
            for (int i = 0; i < Sources.Length; i++)
            {
                var result = decoded[i];
                Assert.Equal(LogProbability(model, Sources[i], result.Tokens, result.Finished), result.LogProbability, 10);
                Assert.Equal(result.Tokens.Length + (result.Finished ? 1 : 0), result.AttentionWeights!.Length);
                Assert.All(result.AttentionWeights, row =>
                {
                    Assert.Equal(Sources[i].Length, row.Length);
                    Assert.Equal(1.0, row.Sum(), 12);
                });
                Assert.True(result.Tokens.Length <= 5);
            }
    }

    [Fact]
    public void BeamSearchNeverScoresBelowGreedy()
    {
        var model = Seq2SeqModelTests.Tiny("general", seed: 8);
        var greedy = model.Greedy(Sources, 6);
        var beam = model.BeamSearch(Sources, new BeamSearchOptions(5, 6, 0));
        for (int i = 0; i < Sources.Length; i++)
            if (greedy[i].Finished) Assert.True(beam[i].LogProbability >= greedy[i].LogProbability - 1e-12);
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        var model = Seq2SeqModelTests.Tiny("none");
        Assert.Contains("beam search", Assert.Throws<ArgumentOutOfRangeException>(() => model.BeamSearch(Sources, new BeamSearchOptions(0, 5))).Message);
        Assert.Contains("greedy", Assert.Throws<ArgumentOutOfRangeException>(() => model.Greedy(Sources, 0)).Message);
    }
}
