using AutoDiffRnn.Data;
using AutoDiffRnn.Tests.Support;

namespace AutoDiffRnn.Tests.Data;

public class DataTests
{
    [Fact]
    public void CharacterVocabularyRoundTrips()
    {
        var vocabulary = CharacterVocabulary.FromText("hello world");
        Assert.Equal(" dehlorw", new string(vocabulary.Characters.ToArray()));
        Assert.Equal("hello world", vocabulary.Decode(vocabulary.Encode("hello world")));
        Assert.Equal("lower", CharacterVocabulary.FromJson(vocabulary.ToJson()).Decode(vocabulary.Encode("lower")));
        Assert.Contains("'z'", Assert.Throws<ArgumentException>(() => vocabulary.Encode("zebra")).Message);
        var oneHot = vocabulary.OneHot(vocabulary.Encode("he"));
        Assert.Equal(new Shape(2, 8), oneHot.Shape);
        Assert.Equal(1, oneHot[0, vocabulary.Encode("h")[0]]);
        Assert.Equal(2, oneHot.Sum().ToScalar());
    }

    [Fact]
    public void WordVocabularyHasSpecialTokensAndFrequencyOrder()
    {
        var vocabulary = WordVocabulary.FromTexts(["the cat sat", "the cat ran", "a dog"], minimumCount: 1);
        Assert.Equal(new[] { "<pad>", "<bos>", "<eos>", "<unk>", "the", "cat", "sat", "ran", "a", "dog" }, vocabulary.Tokens);
        var ids = vocabulary.Encode("the bird sat", addBos: true, addEos: true);
        Assert.Equal(new[] { 1, 4, 3, 6, 2 }, ids);
        Assert.Equal("the <unk> sat", vocabulary.Decode(ids));
        Assert.Equal("the cat", vocabulary.Decode([4, 5, 2, 6]));
        Assert.Equal(vocabulary.Tokens, WordVocabulary.FromJson(vocabulary.ToJson()).Tokens);
        Assert.Equal(new[] { "<pad>", "<bos>", "<eos>", "<unk>", "the", "cat" }, WordVocabulary.FromTexts(["the cat sat", "the cat ran"], minimumCount: 2).Tokens);
        Assert.Throws<InvalidDataException>(() => WordVocabulary.FromJson("[\"a\"]"));
    }

    [Fact]
    public void PaddingIsTimeMajorWithLengthsAndMask()
    {
        var batch = Sequences.Pad([[5, 6, 7], [8], [9, 10]]);
        Assert.Equal(3, batch.Steps);
        Assert.Equal(new[] { 3, 1, 2 }, batch.Lengths);
        Assert.Equal(new[] { 5, 8, 9, 6, 0, 10, 7, 0, 0 }, batch.Ids);
        TensorAssert.Close([1, 1, 1, 1, 0, 1, 1, 0, 0], batch.Mask());
        Assert.Throws<ArgumentException>(() => Sequences.Pad([[1], []]));
    }

    [Fact]
    public void BatchesCoverEveryItemOnceAndShuffleReproducibly()
    {
        var items = Enumerable.Range(0, 10).ToArray();
        var plain = Sequences.Batches(items, 4).ToList();
        Assert.Equal(new[] { 4, 4, 2 }, plain.Select(b => b.Length));
        Assert.Equal(items, plain.SelectMany(b => b));
        var shuffled = Sequences.Batches(items, 4, new Generator(5)).SelectMany(b => b).ToArray();
        Assert.Equal(items, shuffled.Order());
        Assert.NotEqual(items, shuffled);
        Assert.Equal(shuffled, Sequences.Batches(items, 4, new Generator(5)).SelectMany(b => b));
    }

    [Fact]
    public void SlidingWindowsPairEachWindowWithItsFuture()
    {
        var (inputs, targets) = Sequences.SlidingWindows([0, 1, 2, 3, 4, 5], window: 3, horizon: 2);
        Assert.Equal(2, targets.Length);
        Assert.Equal(new double[] { 4, 5 }, targets);
        Assert.Equal(1, inputs[1, 0]);
        Assert.Equal(3, inputs[1, 2]);
        Assert.Equal(2, Sequences.SlidingWindows([0, 1, 2, 3, 4, 5, 6], window: 2, stride: 3).Targets.Length);
        Assert.Empty(Sequences.SlidingWindows([1, 2], window: 3).Targets);
    }
}
