using System.Diagnostics;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Tagger;

/// <summary>What <c>train tagger</c> reports.</summary>
/// <param name="Bidirectional">Whether the encoder read both ways.</param>
/// <param name="TokenAccuracy">The fraction of held-out tokens tagged correctly.</param>
/// <param name="AmbiguousTokenAccuracy">The same over the noun-or-verb words only.</param>
/// <param name="SentenceAccuracy">The fraction of held-out sentences tagged entirely correctly.</param>
/// <param name="FinalLoss">The last training loss.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="Example">One tagged held-out sentence.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record TaggerMetrics(bool Bidirectional, double TokenAccuracy, double AmbiguousTokenAccuracy, double SentenceAccuracy, double FinalLoss,
    int Steps, string Example, double Seconds);

/// <summary><c>train tagger</c>: many-to-many aligned tagging of <see cref="TaggingGrammar"/> sentences with a bidirectional LSTM.</summary>
public static class TaggerTask
{
    /// <summary>Trains and evaluates on held-out sentences.</summary>
    public static TaggerMetrics Run(TaggerOptions options, TextWriter log)
    {
        var watch = Stopwatch.StartNew();
        var generator = new Generator(options.Seed);
        var tagger = new SequenceTagger(TaggingGrammar.Vocabulary.Count, options.EmbeddingSize, options.HiddenSize, TaggingGrammar.Tags.Count,
            bidirectional: options.Bidirectional, generator: generator);
        var optimizer = new Adam(tagger.Parameters(), options.LearningRate);
        double loss = double.NaN;
        for (int step = 1; step <= options.Steps; step++)
        {
            var (sentences, tags) = TaggingGrammar.Batch(options.BatchSize, generator);
            optimizer.ZeroGrad();
            var value = tagger.Loss(sentences, tags);
            value.Backward();
            GradientClipping.ClipGradNorm(tagger.NamedParameters(), 5);
            optimizer.Step();
            loss = value.ToScalar();
            if (step % 100 == 0) log.WriteLine($"step {step}/{options.Steps}: loss {loss:F4}");
        }
        var (testSentences, testTags) = TaggingGrammar.Batch(options.TestSize, new Generator(options.Seed + 777));
        tagger.Eval();
        var predicted = new List<int[]>();
        for (int start = 0; start < testSentences.Length; start += 250)
            predicted.AddRange(tagger.Predict(testSentences[start..Math.Min(testSentences.Length, start + 250)]));
        var ambiguous = TaggingGrammar.AmbiguousWords.Select(w => TaggingGrammar.Vocabulary[w]).ToHashSet();
        int tokens = 0, correct = 0, ambiguousTokens = 0, ambiguousCorrect = 0, sentencesCorrect = 0;
        for (int s = 0; s < testSentences.Length; s++)
        {
            bool all = true;
            for (int t = 0; t < testTags[s].Length; t++)
            {
                bool right = predicted[s][t] == testTags[s][t];
                tokens++;
                if (right) correct++;
                else all = false;
                if (ambiguous.Contains(testSentences[s][t])) { ambiguousTokens++; if (right) ambiguousCorrect++; }
            }
            if (all) sentencesCorrect++;
        }
        string example = string.Join(" ", testSentences[0].Select((id, t) => $"{TaggingGrammar.Vocabulary.Tokens[id]}/{TaggingGrammar.Tags[predicted[0][t]]}"));
        var metrics = new TaggerMetrics(options.Bidirectional, (double)correct / tokens, (double)ambiguousCorrect / Math.Max(1, ambiguousTokens),
            (double)sentencesCorrect / testSentences.Length, loss, options.Steps, example, watch.Elapsed.TotalSeconds);
        options.WriteMetrics(metrics);
        return metrics;
    }
}
