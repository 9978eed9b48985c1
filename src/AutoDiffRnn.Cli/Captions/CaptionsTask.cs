using System.Diagnostics;
using System.Text.Json;
using AutoDiffRnn.Data;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Captions;

/// <summary>
/// <c>train captions</c>: one-to-many generation from images. An <see cref="ImageCaptioner"/> is trained on fresh generated scenes every
/// step (none containing a held-out colour–shape pair), then captions held-out scenes (each with at least one held-out pair) greedily and
/// with beam search; writes a checkpoint, <c>captions.png</c> and optionally the metrics JSON.
/// </summary>
public static class CaptionsTask
{
    private const int MaxCaptionLength = 24;

    /// <summary>The caption words (PAD, BOS, EOS, UNK first).</summary>
    public static WordVocabulary Vocabulary { get; } = new(SceneGenerator.Words);

    /// <summary>The word ids of a caption.</summary>
    public static int[] Encode(Scene scene) => scene.Words.Select(word => Vocabulary[word]).ToArray();

    /// <summary>The caption a decoded id sequence spells.</summary>
    public static string Decode(DecodedSequence sequence) => string.Join(" ", sequence.Tokens.Where(id => id > 3).Select(id => Vocabulary.Tokens[id]));

    /// <summary>The held-out test scenes of a seed (the same for every run with that seed, independent of training).</summary>
    public static Scene[] TestScenes(ulong seed, int count)
    {
        var random = new Generator(seed ^ 0x5EED_7E57UL);
        return Enumerable.Range(0, count).Select(_ => SceneGenerator.Next(random, heldOut: true)).ToArray();
    }

    /// <summary>Fresh scenes of the training distribution (no held-out pair) for comparison, independent of training.</summary>
    public static Scene[] SeenScenes(ulong seed, int count)
    {
        var random = new Generator(seed ^ 0x5EE4_0000UL);
        return Enumerable.Range(0, count).Select(_ => SceneGenerator.Next(random, heldOut: false)).ToArray();
    }

    /// <summary>Trains and evaluates.</summary>
    public static CaptionsMetrics Run(CaptionsOptions options, TextWriter log)
    {
        var total = Stopwatch.StartNew();
        var random = new Generator(options.Seed);
        var model = new ImageCaptioner(Vocabulary.Count, (options.Channels1, options.Channels2), options.EmbeddingSize, options.HiddenSize,
            attend: options.Attention != "none", options.ColourChannels, generator: random);
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        var schedule = options.Schedule == "cosine" ? new CosineSchedule(optimizer, options.Steps, options.LearningRate / 10) : null;
        var losses = new List<double>();
        for (int step = 1; step <= options.Steps; step++)
        {
            var scenes = Enumerable.Range(0, options.BatchSize).Select(_ => SceneGenerator.Next(random, heldOut: false)).ToArray();
            optimizer.ZeroGrad();
            var loss = model.Loss(model.Images(scenes), scenes.Select(Encode).ToArray(), options.WordDropout, Vocabulary[WordVocabulary.Unk], random);
            loss.Backward();
            GradientClipping.ClipGradNorm(model.NamedParameters(), 5);
            optimizer.Step();
            schedule?.Step();
            losses.Add(loss.ToScalar());
            if (step % 100 == 0 || step == options.Steps)
                log.WriteLine($"step {step}/{options.Steps}: loss {losses.Skip(Math.Max(0, losses.Count - 50)).Average():F4} ({total.Elapsed.TotalSeconds:F0} s)");
        }
        double trainSeconds = total.Elapsed.TotalSeconds;
        model.Eval();
        Directory.CreateDirectory(options.Output);
        CaptionsCheckpoint.Save(options.Output, model, new CaptionsCheckpoint.Info(options, [.. Vocabulary.Tokens], options.Steps));

        var test = TestScenes(options.Seed, options.TestSize);
        var greedy = new DecodedSequence[test.Length];
        var beam = new DecodedSequence[test.Length];
        const int chunk = 100;
        for (int start = 0; start < test.Length; start += chunk)
        {
            var scenes = test[start..Math.Min(test.Length, start + chunk)];
            var images = model.Images(scenes);
            model.Greedy(images, MaxCaptionLength).CopyTo(greedy, start);
            model.BeamSearch(images, new BeamSearchOptions(options.BeamWidth, MaxCaptionLength)).CopyTo(beam, start);
        }
        double ExactMatch(DecodedSequence[] decoded) => test.Where((scene, i) => decoded[i].Finished && Decode(decoded[i]) == scene.Caption).Count() / (double)test.Length;
        int correctWords = 0, referenceWords = 0;
        for (int i = 0; i < test.Length; i++)
        {
            var reference = test[i].Words;
            var generated = Decode(greedy[i]).Split(' ');
            referenceWords += reference.Length;
            correctWords += reference.Where((word, k) => k < generated.Length && generated[k] == word).Count();
        }
        var seen = SeenScenes(options.Seed, Math.Min(200, options.TestSize));
        var seenGreedy = model.Greedy(model.Images(seen), MaxCaptionLength);
        double seenExactMatch = seen.Where((scene, i) => seenGreedy[i].Finished && Decode(seenGreedy[i]) == scene.Caption).Count() / (double)seen.Length;
        SavePlot(Path.Combine(options.Output, "captions.png"), test, greedy);
        var metrics = new CaptionsMetrics(options.Attention, ExactMatch(greedy), ExactMatch(beam), options.BeamWidth, correctWords / (double)referenceWords, seenExactMatch,
            test.Length, losses.Skip(Math.Max(0, losses.Count - 50)).Average(), options.Steps, model.ParameterCount,
            [.. test.Take(4).Select((scene, i) => $"{scene.Caption} => {Decode(greedy[i])}")], trainSeconds, total.Elapsed.TotalSeconds);
        if (options.MetricsFile is not null)
            File.WriteAllText(options.MetricsFile, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        return metrics;
    }

    private static void SavePlot(string path, Scene[] test, DecodedSequence[] greedy)
    {
        var shown = new List<CaptionedScene>();
        for (int i = 0; i < Math.Min(8, test.Length); i++)
        {
            var words = greedy[i].Tokens.Select(id => Vocabulary.Tokens[id]).ToArray();
            // the first shape noun: where the model must look to name the (possibly held-out) shape
            int k = Array.FindIndex(words, word => SceneGenerator.Shapes.Contains(word));
            var weights = greedy[i].AttentionWeights;
            shown.Add(weights is null || k < 0 || k >= weights.Length
                ? new CaptionedScene(test[i], Decode(greedy[i]), null, null)
                : new CaptionedScene(test[i], Decode(greedy[i]), words[k], weights[k]));
        }
        CaptionsPlot.Save(path, shown);
    }
}
