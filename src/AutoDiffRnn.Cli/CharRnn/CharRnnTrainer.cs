using System.Diagnostics;
using System.Reflection;
using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Data;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>The figures a training run reports (and writes with <c>--metrics</c>).</summary>
public sealed record CharRnnMetrics(double TrainLoss, double ValidationLoss, double UnigramEntropy, int Steps, double Seconds,
    double TokensPerSecond, string Sample);

/// <summary>
/// Trains a character language model: random windows of the training text (90%), cross-entropy of every next character,
/// gradient clipping, periodic validation on the held-out 10% and samples. Batches come from a generator seeded by (seed, step),
/// so a resumed run draws exactly the batches an uninterrupted one would.
/// </summary>
public sealed class CharRnnTrainer(CharRnnOptions options, TextWriter log)
{
    /// <summary>Set (e.g. by Ctrl+C) to stop after the current step and save a checkpoint.</summary>
    public volatile bool StopRequested;

    /// <summary>Reports progress: step, smoothed loss, tokens per second.</summary>
    public Action<int, double, double>? Progress { get; set; }

    /// <summary>Runs the training and returns its metrics.</summary>
    public CharRnnMetrics Run()
    {
        CheckSizes();
        string text = options.Text ?? (options.CorpusFile is null ? BuiltInCorpus() : File.ReadAllText(options.CorpusFile));
        if (text.Length < 2) throw new ArgumentException("train char-rnn: the text needs at least two characters");
        bool tiny = text.Length < 2000; // a memorization run: train and validate on the whole text
        int split = tiny ? text.Length : (int)(text.Length * 0.9);
        string trainText = text[..split], validationText = tiny ? text : text[split..];

        CharacterVocabulary vocabulary;
        CharLanguageModel model;
        Optimizer optimizer;
        int startStep = 0;
        var losses = new List<double>();
        if (options.Resume is not null)
        {
            (model, vocabulary, var info) = Checkpoint.LoadModel(options.Resume);
            optimizer = MakeOptimizer(model);
            Checkpoint.LoadOptimizer(options.Resume, optimizer);
            startStep = info.Step;
            losses = info.Losses;
            log.WriteLine($"resuming from {options.Resume} at step {startStep}");
        }
        else
        {
            vocabulary = CharacterVocabulary.FromText(text);
            var config = new CharModelConfig(options.Model, vocabulary.Count, options.EmbeddingSize, options.HiddenSize, options.Layers, options.Dropout);
            model = new CharLanguageModel(config, new Generator(options.Seed));
            optimizer = MakeOptimizer(model);
        }
        var trainIds = vocabulary.Encode(trainText);
        var validationIds = vocabulary.Encode(validationText);
        int steps = Math.Min(options.SequenceLength, trainIds.Length - 1);
        if (!tiny && trainIds.Length - steps - 1 < 1)
            throw new CommandLine.UsageException(
                $"--sequence-length {options.SequenceLength}: the training text has only {trainIds.Length} characters; use a shorter sequence length");
        int batch = tiny ? 1 : options.BatchSize;
        double entropy = UnigramEntropy(trainIds, vocabulary.Count);
        log.WriteLine($"corpus: {text.Length} characters, vocabulary {vocabulary.Count}, unigram entropy {entropy:F3} nats/char; " +
                      $"model {options.Model} hidden {options.HiddenSize} x{options.Layers}, {model.ParameterCount} parameters");

        var watch = Stopwatch.StartNew();
        double smoothed = losses.Count > 0 ? losses[^1] : Math.Log(vocabulary.Count);
        int step = startStep;
        var inputs = new int[steps * batch];
        var targets = new int[steps * batch];
        var trainingStep = new CharRnnTrainingStep(model, optimizer, options.ClipNorm);
        for (; step < options.Steps && !StopRequested; step++)
        {
            using var stepScope = TensorScope.Begin(); // the step's tensors go back to the storage pool when it ends: no garbage per step
            var generator = new Generator(options.Seed * 1_000_003UL + (ulong)step);
            for (int b = 0; b < batch; b++)
            {
                int start = tiny ? 0 : generator.NextInt(trainIds.Length - steps - 1);
                for (int t = 0; t < steps; t++)
                {
                    inputs[t * batch + b] = trainIds[start + t];
                    targets[t * batch + b] = trainIds[start + t + 1];
                }
            }
            double value = trainingStep.Run(inputs, targets, steps, batch, dropoutGenerator: tiny ? null : generator);
            smoothed = 0.95 * smoothed + 0.05 * value;
            losses.Add(smoothed);
            double tokensPerSecond = (step - startStep + 1) * (double)steps * batch / watch.Elapsed.TotalSeconds;
            Progress?.Invoke(step + 1, smoothed, tokensPerSecond);
            if ((step + 1) % options.SampleEvery == 0)
            {
                double validation = Evaluate(model, validationIds, options.SequenceLength, vocabulary.Count);
                var sample = Sampler.Sample(model, vocabulary, text[..1], 120, 0.8, new Generator(options.Seed + (ulong)step));
                log.WriteLine($"step {step + 1}: loss {smoothed:F3}, validation {validation:F3} nats/char, {tokensPerSecond:F0} tokens/s");
                log.WriteLine("  sample: " + sample.Replace("\n", "\n          "));
            }
        }
        double seconds = watch.Elapsed.TotalSeconds;
        double finalValidation = Evaluate(model, validationIds, options.SequenceLength, vocabulary.Count);
        var finalSample = tiny
            ? text[..1] + Sampler.Sample(model, vocabulary, text[..1], text.Length - 1, 0, new Generator(options.Seed))
            : Sampler.Sample(model, vocabulary, text[..1], 200, 0.8, new Generator(options.Seed));

        Directory.CreateDirectory(options.Output);
        Checkpoint.Save(options.Output, model, optimizer,
            new CheckpointInfo(model.Config, vocabulary.ToJson(), options with { Resume = null }, step, losses));
        LossPlot.Save(Path.Combine(options.Output, "loss.png"), losses, $"{options.Model} on {text.Length} characters");
        var metrics = new CharRnnMetrics(losses.Count > 0 ? losses[^1] : double.NaN, finalValidation, entropy, step, seconds,
            (step - startStep) * (double)steps * batch / Math.Max(seconds, 1e-9), finalSample);
        options.WriteMetrics(metrics);
        return metrics;
    }

    private void CheckSizes()
    {
        foreach (var (name, value) in new[] { ("Steps", options.Steps), ("BatchSize", options.BatchSize), ("SequenceLength", options.SequenceLength),
                     ("SampleEvery", options.SampleEvery), ("HiddenSize", options.HiddenSize), ("EmbeddingSize", options.EmbeddingSize), ("Layers", options.Layers) })
            if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"train char-rnn: {name} must be at least 1, got {value}");
    }

    private Optimizer MakeOptimizer(CharLanguageModel model) => options.Optimizer switch
    {
        "adam" => new Adam(model.Parameters(), options.LearningRate),
        "adagrad" => new Adagrad(model.Parameters(), options.LearningRate),
        "sgd" => new Sgd(model.Parameters(), options.LearningRate, momentum: 0.9),
        _ => throw new ArgumentException($"optimizer must be adam, adagrad or sgd, not '{options.Optimizer}'"),
    };

    /// <summary>Mean cross-entropy (nats per character) of predicting each next character of <paramref name="ids"/>, in windows.</summary>
    public static double Evaluate(CharLanguageModel model, int[] ids, int window, int vocabularySize)
    {
        using var _ = GradMode.NoGrad();
        double total = 0;
        int count = 0;
        Tensor? hidden = null, cell = null;
        for (int start = 0; start + 1 < ids.Length; start += window)
        {
            int length = Math.Min(window, ids.Length - 1 - start);
            var (logits, state) = model.Forward(ids[start..(start + length)], length, 1, hidden, cell);
            (hidden, cell) = (state.Hidden, state.Cell);
            total += Loss.CrossEntropy(logits.Reshape(length, vocabularySize), ids[(start + 1)..(start + 1 + length)], reduction: Reduction.Sum).ToScalar();
            count += length;
        }
        return total / count;
    }

    /// <summary>−Σ p log p of the character frequencies, in nats: the loss of the best model that ignores context.</summary>
    public static double UnigramEntropy(int[] ids, int vocabularySize)
    {
        var counts = new double[vocabularySize];
        foreach (var id in ids) counts[id]++;
        return -counts.Where(c => c > 0).Sum(c => c / ids.Length * Math.Log(c / ids.Length));
    }

    /// <summary>The corpus shipped inside the program.</summary>
    public static string BuiltInCorpus()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AutoDiffRnn.Cli.Corpus.sonnets.txt")
            ?? throw new InvalidOperationException("the built-in corpus is missing from the program");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n");
    }
}
