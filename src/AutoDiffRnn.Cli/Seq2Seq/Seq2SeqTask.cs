using System.Diagnostics;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Seq2Seq;

/// <summary>The held-out results of one trained model.</summary>
/// <param name="Attention">The attention kind, or "none".</param>
/// <param name="GreedyExactMatch">The fraction of held-out sources translated exactly by greedy decoding.</param>
/// <param name="BeamExactMatch">The same with beam search.</param>
/// <param name="FinalLoss">The training loss of the last step (nats per target token).</param>
/// <param name="Parameters">The number of parameters.</param>
/// <param name="TrainSeconds">Training time.</param>
/// <param name="EvaluationSeconds">Greedy and beam evaluation time.</param>
public sealed record Seq2SeqModelResult(string Attention, double GreedyExactMatch, double BeamExactMatch, double FinalLoss, long Parameters,
    double TrainSeconds, double EvaluationSeconds);

/// <summary>What <c>train seq2seq</c> reports.</summary>
public sealed record Seq2SeqMetrics(string Task, int Steps, int BatchSize, int BeamWidth, int TestSize, IReadOnlyList<Seq2SeqModelResult> Models,
    string ExampleSource, string ExampleTranslation, string? Heatmap, double Seconds);

/// <summary>
/// <c>train seq2seq</c>: a bidirectional LSTM encoder and an LSTM decoder, with and without attention, learn the date translation of
/// <see cref="DateTranslation"/> (or, with <c>--task reverse</c>, <see cref="SequenceReversal"/>); exact-match accuracy on held-out
/// sources with greedy decoding and beam search, and a heatmap of the attention weights of one example.
/// </summary>
public static class Seq2SeqTask
{
    /// <summary>The model for an attention kind.</summary>
    public static Seq2SeqModel Build(Seq2SeqOptions options, string attention, Generator generator)
    {
        int vocabulary = Vocabulary(options.Task).Count, decoderHidden = 2 * options.HiddenSize;
        var encoder = new Seq2SeqEncoder(vocabulary, options.EmbeddingSize, options.HiddenSize, decoderHidden, generator: generator);
        Attention? module = attention switch
        {
            "additive" => new AdditiveAttention(decoderHidden, encoder.OutputSize, options.HiddenSize, generator: generator),
            "dot" => new DotProductAttention(decoderHidden),
            "general" => new GeneralAttention(decoderHidden, encoder.OutputSize, generator: generator),
            "none" => null,
            _ => throw new ArgumentException($"attention must be additive, dot, general or none, not '{attention}'"),
        };
        var placement = options.Placement switch
        {
            "luong" => AttentionPlacement.AfterRecurrence,
            "bahdanau" => AttentionPlacement.BeforeRecurrence,
            _ => throw new ArgumentException($"the attention placement must be luong or bahdanau, not '{options.Placement}'"),
        };
        return new Seq2SeqModel(encoder, new Seq2SeqDecoder(vocabulary, options.EmbeddingSize, decoderHidden, attention: module, generator: generator,
            placement: placement));
    }

    private static Data.WordVocabulary Vocabulary(string task) => task switch
    {
        "dates" => DateTranslation.Vocabulary,
        "reverse" => SequenceReversal.Vocabulary,
        _ => throw new ArgumentException($"the task must be dates or reverse, not '{task}'"),
    };

    private static (int[][] Sources, int[][] Targets) Batch(string task, int size, Generator generator, bool heldOut) =>
        task == "reverse" ? SequenceReversal.Batch(size, generator, heldOut) : DateTranslation.Batch(size, generator, heldOut);

    private static int MaxOutput(string task) => task == "reverse" ? SequenceReversal.MaxLength + 2 : 12;

    private static string Decode(string task, IEnumerable<int> ids) =>
        task == "reverse" ? string.Concat(ids.Where(id => id > 3).Select(id => Vocabulary(task).Tokens[id])) : DateTranslation.Decode(ids);

    /// <summary>Trains the model(s), evaluates them and writes the heatmap and metrics.</summary>
    public static Seq2SeqMetrics Run(Seq2SeqOptions options, TextWriter log)
    {
        var total = Stopwatch.StartNew();
        var kinds = options.Attention == "none" || !options.Baseline ? new[] { options.Attention } : [options.Attention, "none"];
        var vocabulary = Vocabulary(options.Task);
        int maxOutput = MaxOutput(options.Task);
        var (testSources, testTargets) = Batch(options.Task, options.TestSize, new Generator(options.Seed + 1000), heldOut: true);
        var results = new List<Seq2SeqModelResult>();
        string exampleSource = Decode(options.Task, testSources[0]), exampleTranslation = "";
        string? heatmap = null;
        foreach (var kind in kinds)
        {
            var model = Train(options, kind, log, out double loss, out double trainSeconds);
            var watch = Stopwatch.StartNew();
            model.Eval();
            double greedy = ExactMatch(testSources, testTargets, 200, batch => model.Greedy(batch, maxOutput));
            double beam = ExactMatch(testSources, testTargets, 100, batch => model.BeamSearch(batch, new BeamSearchOptions(options.BeamWidth, maxOutput)));
            results.Add(new Seq2SeqModelResult(kind, greedy, beam, loss, model.ParameterCount, trainSeconds, watch.Elapsed.TotalSeconds));
            log.WriteLine($"{kind}: exact match greedy {greedy:P1}, beam {beam:P1} ({options.TestSize} held-out {(options.Task == "dates" ? "dates" : "sequences")}; train {trainSeconds:F0} s, evaluation {watch.Elapsed.TotalSeconds:F0} s)");
            if (kind != "none")
            {
                var example = model.Greedy([testSources[0]], maxOutput)[0];
                exampleTranslation = Decode(options.Task, example.Tokens);
                Directory.CreateDirectory(options.Output);
                heatmap = Path.Combine(options.Output, "attention.png");
                AttentionHeatmap.Save(heatmap, example.AttentionWeights!, testSources[0].Select(id => vocabulary.Tokens[id]).ToArray(),
                    [.. example.Tokens.Select(id => vocabulary.Tokens[id]), .. example.Finished ? new[] { "<eos>" } : []], $"{kind} attention: \"{exampleSource}\" -> \"{exampleTranslation}\"");
            }
        }
        var metrics = new Seq2SeqMetrics(options.Task, options.Steps, options.BatchSize, options.BeamWidth, options.TestSize, results,
            exampleSource, exampleTranslation, heatmap, total.Elapsed.TotalSeconds);
        options.WriteMetrics(metrics);
        return metrics;
    }

    private static Seq2SeqModel Train(Seq2SeqOptions options, string kind, TextWriter log, out double loss, out double seconds)
    {
        var generator = new Generator(options.Seed);
        var model = Build(options, kind, generator);
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        var schedule = new CosineSchedule(optimizer, options.Steps, options.LearningRate / 10);
        var data = new Generator(options.Seed + 1);
        var watch = Stopwatch.StartNew();
        loss = double.NaN;
        double smoothed = double.NaN;
        for (int step = 1; step <= options.Steps; step++)
        {
            var (sources, targets) = Batch(options.Task, options.BatchSize, data, heldOut: false);
            optimizer.ZeroGrad();
            var value = model.Loss(sources, targets, options.TeacherForcing, data);
            value.Backward();
            GradientClipping.ClipGradNorm(model.NamedParameters(), 5);
            optimizer.Step();
            schedule.Step();
            loss = value.ToScalar();
            smoothed = double.IsNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
            if (step % 100 == 0 || step == options.Steps)
                log.WriteLine($"[{kind}] step {step}/{options.Steps}: loss {smoothed:F4} ({watch.Elapsed.TotalSeconds:F0} s)");
        }
        seconds = watch.Elapsed.TotalSeconds;
        return model;
    }

    /// <summary>The fraction of sources whose decoded tokens equal the target exactly.</summary>
    public static double ExactMatch(int[][] sources, int[][] targets, int batchSize, Func<int[][], DecodedSequence[]> decode)
    {
        int correct = 0;
        for (int start = 0; start < sources.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, sources.Length - start);
            var decoded = decode(sources[start..(start + count)]);
            for (int i = 0; i < count; i++)
                if (decoded[i].Finished && decoded[i].Tokens.AsSpan().SequenceEqual(targets[start + i])) correct++;
        }
        return (double)correct / sources.Length;
    }
}
