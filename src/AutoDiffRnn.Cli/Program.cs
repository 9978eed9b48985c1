using System.CommandLine;
using AutoDiffRnn.Cli.CharRnn;
using Spectre.Console;

namespace AutoDiffRnn.Cli;

/// <summary>The command-line program <c>autodiffrnn</c>.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the command.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("AutoDiffRnn: train and sample recurrent neural networks.");
        var train = new Command("train", "Train a model.");
        train.Subcommands.Add(CharRnnCommand());
        train.Subcommands.Add(ClassifyCommand());
        train.Subcommands.Add(ForecastCommand());
        train.Subcommands.Add(Seq2SeqCommands.Seq2Seq());
        train.Subcommands.Add(Seq2SeqCommands.Tagger());
        train.Subcommands.Add(Seq2SeqCommands.Spell());
        root.Subcommands.Add(train);
        root.Subcommands.Add(SampleCommand());
        root.Subcommands.Add(Export.ExportCommands.Export());
        var verbose = new Option<bool>("--verbose") { Description = "print every case's full table" };
        var verify = new Command("verify", "Check the gradient of every op and recurrent module (exit code 1 on any failure).") { verbose };
        verify.SetAction(parse => Verify.VerifyCommand.Run(Console.Out, parse.GetValue(verbose)));
        root.Subcommands.Add(verify);
        return root.Parse(args).Invoke();
    }

    private static Command CharRnnCommand()
    {
        var defaults = new CharRnnOptions();
        var model = new Option<string>("--model") { Description = "rnn, lstm or gru", DefaultValueFactory = _ => defaults.Model };
        model.AcceptOnlyFromAmong("rnn", "lstm", "gru");
        var hidden = new Option<int>("--hidden-size") { Description = "hidden state size", DefaultValueFactory = _ => defaults.HiddenSize };
        var embedding = new Option<int>("--embedding-size") { Description = "character embedding size", DefaultValueFactory = _ => defaults.EmbeddingSize };
        var layers = new Option<int>("--layers") { Description = "stacked recurrent layers", DefaultValueFactory = _ => defaults.Layers };
        var dropout = new Option<double>("--dropout") { Description = "dropout on the embeddings and before the output projection", DefaultValueFactory = _ => defaults.Dropout };
        var sequence = new Option<int>("--sequence-length") { Description = "characters per training sequence", DefaultValueFactory = _ => defaults.SequenceLength };
        var batch = new Option<int>("--batch-size") { Description = "sequences per batch", DefaultValueFactory = _ => defaults.BatchSize };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var rate = new Option<double>("--learning-rate") { Description = "learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adagrad or sgd", DefaultValueFactory = _ => defaults.Optimizer };
        optimizer.AcceptOnlyFromAmong("adam", "adagrad", "sgd");
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var corpus = new Option<string?>("--corpus") { Description = "a text file to train on (default: the built-in corpus, Shakespeare's sonnets)" };
        var text = new Option<string?>("--text") { Description = "a literal text to memorize, e.g. hello" };
        var output = new Option<string>("--output") { Description = "output folder", DefaultValueFactory = _ => defaults.Output };
        var metrics = new Option<string?>("--metrics") { Description = "write metrics JSON to this file" };
        var sampleEvery = new Option<int>("--sample-every") { Description = "steps between samples", DefaultValueFactory = _ => defaults.SampleEvery };
        var resume = new Option<string?>("--resume") { Description = "continue from this checkpoint folder" };
        var command = new Command("char-rnn", "Train a character-level language model (the main job).")
        {
            model, hidden, embedding, layers, dropout, sequence, batch, steps, rate, optimizer, seed, corpus, text, output, metrics, sampleEvery, resume,
        };
        command.SetAction(parse =>
        {
            var options = new CharRnnOptions
            {
                Model = parse.GetValue(model)!, HiddenSize = parse.GetValue(hidden), EmbeddingSize = parse.GetValue(embedding),
                Layers = parse.GetValue(layers), Dropout = parse.GetValue(dropout), SequenceLength = parse.GetValue(sequence), BatchSize = parse.GetValue(batch),
                Steps = parse.GetValue(steps), LearningRate = parse.GetValue(rate), Optimizer = parse.GetValue(optimizer)!,
                Seed = parse.GetValue(seed), CorpusFile = parse.GetValue(corpus), Text = parse.GetValue(text),
                Output = parse.GetValue(output)!, MetricsFile = parse.GetValue(metrics), SampleEvery = parse.GetValue(sampleEvery),
                Resume = parse.GetValue(resume),
            };
            if (options.Resume is not null)
                options = Checkpoint.ReadInfo(options.Resume).Options with
                {
                    Resume = options.Resume, Steps = options.Steps, Output = options.Output, MetricsFile = options.MetricsFile,
                };
            return RunCharRnn(options);
        });
        return command;
    }

    private static int RunCharRnn(CharRnnOptions options)
    {
        var trainer = new CharRnnTrainer(options, Console.Out);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            trainer.StopRequested = true;
            Console.Error.WriteLine("stopping: saving a checkpoint (resume with --resume " + options.Output + ")");
        };
        CharRnnMetrics metrics;
        if (Console.IsOutputRedirected)
        {
            trainer.Progress = (step, loss, speed) => { if (step % 50 == 0) Console.WriteLine($"step {step}/{options.Steps} loss {loss:F3} {speed:F0} tokens/s"); };
            metrics = trainer.Run();
        }
        else
        {
            metrics = null!;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("training", maxValue: options.Steps);
                    trainer.Progress = (step, loss, speed) =>
                    {
                        task.Value = step;
                        task.Description = $"step {step} loss {loss:F3} {speed:F0} tok/s";
                    };
                    metrics = trainer.Run();
                });
        }
        Console.WriteLine($"done: {metrics.Steps} steps in {metrics.Seconds:F0} s ({metrics.TokensPerSecond:F0} tokens/s); " +
                          $"train loss {metrics.TrainLoss:F3}, validation {metrics.ValidationLoss:F3} nats/char " +
                          $"(unigram entropy {metrics.UnigramEntropy:F3})");
        Console.WriteLine("sample: " + metrics.Sample);
        Console.WriteLine($"checkpoint, loss.png in {Path.GetFullPath(options.Output)}");
        return trainer.StopRequested ? 130 : 0;
    }

    private static Command ClassifyCommand()
    {
        var defaults = new Classify.ClassifyOptions();
        var model = new Option<string>("--model") { Description = "rnn, lstm or gru (default: compare rnn and lstm)" };
        model.AcceptOnlyFromAmong("rnn", "lstm", "gru");
        var length = new Option<int>("--length") { Description = "sequence length (the class is only at step 0)", DefaultValueFactory = _ => defaults.Length };
        var hidden = new Option<int>("--hidden-size") { Description = "hidden size", DefaultValueFactory = _ => defaults.HiddenSize };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var metrics = new Option<string?>("--metrics") { Description = "write metrics JSON to this file" };
        var command = new Command("classify", "Many-to-one classification that needs memory over the whole sequence.")
        {
            model, length, hidden, steps, seed, metrics,
        };
        command.SetAction(parse =>
        {
            var models = parse.GetValue(model) is string chosen ? [chosen] : new[] { "rnn", "lstm" };
            foreach (var kind in models)
            {
                var options = defaults with
                {
                    Model = kind, Length = parse.GetValue(length), HiddenSize = parse.GetValue(hidden), Steps = parse.GetValue(steps),
                    Seed = parse.GetValue(seed), MetricsFile = models.Length == 1 ? parse.GetValue(metrics) : null,
                };
                var result = Classify.ClassifyTask.Run(options, Console.Out);
                Console.WriteLine($"{kind}: accuracy {result.Accuracy:P1} on 1000 held-out sequences of length {result.Length} ({result.Seconds:F1} s)");
            }
            return 0;
        });
        return command;
    }

    private static Command ForecastCommand()
    {
        var defaults = new Forecast.ForecastOptions();
        var window = new Option<int>("--window") { Description = "past values the model reads", DefaultValueFactory = _ => defaults.Window };
        var hidden = new Option<int>("--hidden-size") { Description = "hidden size", DefaultValueFactory = _ => defaults.HiddenSize };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<string>("--output") { Description = "output folder (forecast.png)", DefaultValueFactory = _ => defaults.Output };
        var metrics = new Option<string?>("--metrics") { Description = "write metrics JSON to this file" };
        var command = new Command("forecast", "Many-to-one regression on a noisy sum of sines, against the naive last-value forecast.")
        {
            window, hidden, steps, seed, output, metrics,
        };
        command.SetAction(parse =>
        {
            var result = Forecast.ForecastTask.Run(defaults with
            {
                Window = parse.GetValue(window), HiddenSize = parse.GetValue(hidden), Steps = parse.GetValue(steps), Seed = parse.GetValue(seed),
                Output = parse.GetValue(output)!, MetricsFile = parse.GetValue(metrics),
            }, Console.Out);
            Console.WriteLine($"validation MSE {result.ValidationMse:F5}, naive last-value MSE {result.NaiveMse:F5} " +
                              $"({result.NaiveMse / result.ValidationMse:F1}x better), {result.Seconds:F1} s; forecast.png in {Path.GetFullPath(parse.GetValue(output)!)}");
            return 0;
        });
        return command;
    }

    private static Command SampleCommand()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "checkpoint folder" };
        var onnx = new Option<string?>("--onnx") { Description = "an ONNX file written by export onnx, run in ONNX Runtime (instead of --checkpoint)" };
        var prime = new Option<string>("--prime") { Description = "text to start from", DefaultValueFactory = _ => "T" };
        var length = new Option<int>("--length") { Description = "characters to generate", DefaultValueFactory = _ => 300 };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature (0: most likely)", DefaultValueFactory = _ => 0.8 };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1 };
        var command = new Command("sample", "Generate text from a trained character model.") { checkpoint, onnx, prime, length, temperature, seed };
        command.SetAction(parse =>
        {
            if (parse.GetValue(onnx) is string onnxFile)
                return Export.ExportCommands.Guarded("sample", () => Console.WriteLine(parse.GetValue(prime) + Export.OnnxSampler.Sample(onnxFile,
                    parse.GetValue(prime)!, parse.GetValue(length), parse.GetValue(temperature), new Generator(parse.GetValue(seed)))));
            if (parse.GetValue(checkpoint) is null)
            {
                Console.Error.WriteLine("sample: give --checkpoint DIR or --onnx FILE");
                return 1;
            }
            var (model, vocabulary, _) = Checkpoint.LoadModel(parse.GetValue(checkpoint)!);
            string start = parse.GetValue(prime)!;
            Console.WriteLine(start + Sampler.Sample(model, vocabulary, start, parse.GetValue(length), parse.GetValue(temperature), new Generator(parse.GetValue(seed))));
            return 0;
        });
        return command;
    }
}
