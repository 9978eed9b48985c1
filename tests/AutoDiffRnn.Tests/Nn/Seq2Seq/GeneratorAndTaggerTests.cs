using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Optim;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Nn.Seq2Seq;

/// <summary>One-to-many generation and many-to-many aligned tagging.</summary>
public class GeneratorAndTaggerTests
{
    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void TheConditionedGeneratorHasFloat64GradientsForConditionsAndParameters(RecurrentKind kind)
    {
        var model = new ConditionedSequenceGenerator(3, 6, 2, 3, layers: 2, kind: kind, dtype: DType.Float64, generator: new Generator(1));
        var conditions = Random64.Normal(2, 2, 3).SetRequiresGrad();
        var leaves = new List<(string, Tensor)> { ("conditions", conditions) };
        leaves.AddRange(model.NamedParameters());
        LeafGradientAssert.MatchesFiniteDifferences(() => model.Loss(conditions, [[3, 4, 5], [5]]), leaves);
    }

    [Fact]
    public void TheGeneratorLearnsToSpellEachClassesSequence()
    {
        int[][] words = [[4, 5, 6], [6, 4], [5, 5, 5, 4], [7]];
        var conditions = Tensor.FromArray(new double[] { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 }, new Shape(4, 4), DType.Float32);
        var model = new ConditionedSequenceGenerator(4, 8, 8, 24, generator: new Generator(3));
        var before = model.Greedy(conditions, 6);
        var optimizer = new Adam(model.Parameters(), 2e-2);
        for (int step = 0; step < 60; step++)
        {
            optimizer.ZeroGrad();
            model.Loss(conditions, words).Backward();
            optimizer.Step();
        }
        var after = model.Greedy(conditions, 6);
        Assert.False(Enumerable.Range(0, 4).All(i => before[i].Tokens.SequenceEqual(words[i])));
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(words[i], after[i].Tokens);
            Assert.True(after[i].Finished);
        }
        Assert.Equal(words[2], model.BeamSearch(conditions, new BeamSearchOptions(3, 6))[2].Tokens);
    }

    [Fact]
    public void TheTaggerHasFloat64GradientsAndIgnoresPadding()
    {
        var tagger = new SequenceTagger(6, 3, 2, 3, layers: 2, dtype: DType.Float64, generator: new Generator(4));
        int[][] sentences = [[1, 2, 3], [4, 5]];
        int[][] tags = [[0, 1, 2], [2, 0]];
        LeafGradientAssert.MatchesFiniteDifferences(() => tagger.Loss(sentences, tags), tagger.NamedParameters().ToList());
        var logits = tagger.Logits(sentences);
        Assert.Equal(new Shape(2, 3, 3), logits.Shape);
        var alone = tagger.Logits([[4, 5]]);                            // sentence 1 without the padding its batch gave it
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < 3; k++) Assert.Equal(alone[0, t, k], logits[1, t, k], 14);
        Assert.Equal([3, 2], tagger.Predict(sentences).Select(p => p.Length));
        Assert.Contains("2 tokens but 3 tags", Assert.Throws<ArgumentException>(() => tagger.Loss(sentences, [[0, 1, 2], [2, 0, 1]])).Message);
    }

    [Fact]
    public void TheBidirectionalTaggerLearnsTagsThatDependOnTheNextWord()
    {
        // token 3 is tagged 1 when followed by token 4 and 2 otherwise: only the reverse direction can see that at token 3
        var generator = new Generator(9);
        (int[][], int[][]) Batch(int size)
        {
            var sentences = new int[size][];
            var tags = new int[size][];
            for (int b = 0; b < size; b++)
            {
                int length = 2 + generator.NextInt(4);
                sentences[b] = Enumerable.Range(0, length).Select(_ => 3 + generator.NextInt(3)).ToArray();
                tags[b] = sentences[b].Select((w, t) => w != 3 ? 0 : t + 1 < length && sentences[b][t + 1] == 4 ? 1 : 2).ToArray();
            }
            return (sentences, tags);
        }
        var tagger = new SequenceTagger(6, 8, 16, 3, generator: new Generator(2));
        var optimizer = new Adam(tagger.Parameters(), 1e-2);
        for (int step = 0; step < 150; step++)
        {
            var (sentences, tags) = Batch(32);
            optimizer.ZeroGrad();
            tagger.Loss(sentences, tags).Backward();
            optimizer.Step();
        }
        var (testSentences, testTags) = Batch(200);
        var predicted = tagger.Predict(testSentences);
        double accuracy = predicted.SelectMany((p, b) => p.Select((tag, t) => tag == testTags[b][t])).Average(right => right ? 1.0 : 0.0);
        Assert.True(accuracy > 0.98, $"token accuracy {accuracy:P1}");
    }
}
