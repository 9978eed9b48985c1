using System.Text.Json;
using AutoDiffRnn.Cli.Seq2Seq;
using AutoDiffRnn.Cli.Spell;
using AutoDiffRnn.Cli.Tagger;

namespace AutoDiffRnn.Cli.Tests;

public sealed class Seq2SeqCommandTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-seq2seq-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void TrainSeq2SeqAtATinySizeWritesMetricsAndTheAttentionHeatmap()
    {
        string metrics = Path.Combine(folder, "seq2seq.json");
        int code = Program.Main(["train", "seq2seq", "--steps", "3", "--hidden-size", "8", "--embedding-size", "4", "--batch-size", "4",
            "--test-size", "6", "--beam-width", "2", "--output", folder, "--metrics", metrics]);
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        var models = json.RootElement.GetProperty("Models");
        Assert.Equal(["additive", "none"], models.EnumerateArray().Select(m => m.GetProperty("Attention").GetString()));
        Assert.All(models.EnumerateArray(), m => Assert.InRange(m.GetProperty("BeamExactMatch").GetDouble(), 0, 1));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(folder, "attention.png"))[..4]);

        Assert.Equal(0, Program.Main(["train", "seq2seq", "--task", "reverse", "--attention", "dot", "--placement", "bahdanau", "--baseline", "false", "--teacher-forcing", "0.5",
            "--steps", "2", "--hidden-size", "4", "--batch-size", "4", "--test-size", "3", "--output", folder, "--metrics", metrics]));
        using var reverse = JsonDocument.Parse(File.ReadAllText(metrics));
        Assert.Equal("reverse", reverse.RootElement.GetProperty("Task").GetString());
        Assert.Equal("dot", Assert.Single(reverse.RootElement.GetProperty("Models").EnumerateArray()).GetProperty("Attention").GetString());
    }

    [Fact]
    public void ReversedSequencesAreHeldOutByTheirLetterSum()
    {
        var (sources, targets) = SequenceReversal.Batch(100, new Generator(4), heldOut: false);
        Assert.All(sources, s => Assert.False(SequenceReversal.IsHeldOut(s)));
        Assert.All(sources, s => Assert.InRange(s.Length, SequenceReversal.MinLength, SequenceReversal.MaxLength));
        Assert.Equal(sources[0].Reverse(), targets[0]);
        Assert.All(SequenceReversal.Batch(20, new Generator(5), heldOut: true).Sources, s => Assert.True(SequenceReversal.IsHeldOut(s)));
    }

    [Fact]
    public void TheAttentionModelLearnsToTranslateHeldOutDates()
    {
        var result = Seq2SeqTask.Run(new Seq2SeqOptions { Task = "dates", Steps = 200, Baseline = false, TestSize = 100, Output = folder }, TextWriter.Null);
        var model = Assert.Single(result.Models);
        Assert.True(model.GreedyExactMatch >= 0.95, $"greedy exact match {model.GreedyExactMatch:P0}");
        Assert.True(model.BeamExactMatch >= 0.95, $"beam exact match {model.BeamExactMatch:P0}");
        Assert.Equal(DateTranslation.Decode(DateTranslation.Encode(result.ExampleTranslation)), result.ExampleTranslation);
    }

    [Fact]
    public void DatesAreWrittenInEveryFormatAndTheHeldOutDaysNeverReachTraining()
    {
        var date = new DateOnly(2021, 3, 3);
        Assert.Equal("2021-03-03", DateTranslation.Iso(date));
        Assert.Equal(["march 3 2021", "3 march 2021", "mar 3, 2021", "03/03/2021", "3.3.2021", "wednesday, march 3, 2021", "the 3rd of march 2021", "3 mar 21"],
            Enumerable.Range(0, DateTranslation.FormatCount).Select(f => DateTranslation.Write(date, f)));
        var generator = new Generator(5);
        for (int i = 0; i < 500; i++)
        {
            var (_, target) = DateTranslation.Sample(generator, heldOut: false);
            Assert.False(DateTranslation.IsHeldOut(DateOnly.ParseExact(target, "yyyy-MM-dd")));
        }
        var (heldSource, heldTarget) = DateTranslation.Sample(generator, heldOut: true);
        Assert.True(DateTranslation.IsHeldOut(DateOnly.ParseExact(heldTarget, "yyyy-MM-dd")), heldSource);
    }

    [Fact]
    public void TrainTaggerAtATinySizeWritesMetrics()
    {
        Directory.CreateDirectory(folder);
        string metrics = Path.Combine(folder, "tagger.json");
        Assert.Equal(0, Program.Main(["train", "tagger", "--steps", "2", "--hidden-size", "4", "--test-size", "5", "--metrics", metrics]));
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        Assert.InRange(json.RootElement.GetProperty("TokenAccuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void TheBidirectionalTaggerLearnsTheGrammar()
    {
        var result = TaggerTask.Run(new TaggerOptions { Steps = 200, TestSize = 300 }, TextWriter.Null);
        Assert.True(result.TokenAccuracy >= 0.98, $"token accuracy {result.TokenAccuracy:P1}");
        Assert.True(result.AmbiguousTokenAccuracy >= 0.95, $"noun-or-verb accuracy {result.AmbiguousTokenAccuracy:P1}");
    }

    [Fact]
    public void EveryGeneratedSentenceHasOneTagPerWord()
    {
        var (sentences, tags) = TaggingGrammar.Batch(200, new Generator(2));
        Assert.All(sentences.Zip(tags), pair => Assert.Equal(pair.First.Length, pair.Second.Length));
        Assert.All(sentences, s => Assert.DoesNotContain(TaggingGrammar.Vocabulary[AutoDiffRnn.Data.WordVocabulary.Unk], s));
        Assert.Contains(sentences.Zip(tags), pair => pair.First[0] == TaggingGrammar.Vocabulary["fly"] && TaggingGrammar.Tags[pair.Second[0]] == "VERB");
        Assert.Contains(sentences.Zip(tags), pair => pair.First[0] == TaggingGrammar.Vocabulary["fly"] && TaggingGrammar.Tags[pair.Second[0]] == "NOUN");
    }

    [Fact]
    public void TrainSpellAtATinySizeWritesMetrics()
    {
        Directory.CreateDirectory(folder);
        string metrics = Path.Combine(folder, "spell.json");
        Assert.Equal(0, Program.Main(["train", "spell", "--steps", "2", "--hidden-size", "8", "--metrics", metrics]));
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        Assert.Equal(100, json.RootElement.GetProperty("Classes").GetInt32());
    }

    [Fact]
    public void TheConditionedGeneratorSpellsEveryNumber()
    {
        Assert.Equal("forty two", SpellTask.Name(42));
        Assert.Equal("ninety", SpellTask.Name(90));
        var result = SpellTask.Run(new SpellOptions(), TextWriter.Null);
        Assert.True(result.GreedyExactMatch >= 0.99, $"greedy {result.GreedyExactMatch:P0}");
        Assert.True(result.BeamExactMatch >= 0.99, $"beam {result.BeamExactMatch:P0}");
    }
}
