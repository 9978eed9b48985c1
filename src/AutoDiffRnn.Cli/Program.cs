using System.CommandLine;
using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Cli.CommandLine;
using Spectre.Console;

namespace AutoDiffRnn.Cli;

/// <summary>The command-line program <c>autodiffrnn</c>.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the command; see <see cref="ExitCodes"/>.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs a command line with the given output and error writers (what <see cref="Main"/> does with the console).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var verbose = CommonOptions.Verbose();
        var detectAnomaly = CommonOptions.DetectAnomaly();
        var root = new RootCommand("AutoDiffRnn: train and sample recurrent neural networks.") { verbose };
        var train = new Command("train", "Train a model.") { detectAnomaly };
        // one line per command
        train.Subcommands.Add(CharRnnCommand());
        train.Subcommands.Add(ClassifyCommand());
        train.Subcommands.Add(ForecastCommand());
        train.Subcommands.Add(Seq2SeqCommands.Seq2Seq());
        train.Subcommands.Add(Seq2SeqCommands.Tagger());
        train.Subcommands.Add(Seq2SeqCommands.Spell());
        train.Subcommands.Add(Captions.CaptionsCommand.Create());
        root.Subcommands.Add(train);
        root.Subcommands.Add(SampleCommand());
        root.Subcommands.Add(Export.ExportCommands.Export());
        root.Subcommands.Add(VerifyCommand(verbose));
        return CommandRunner.Run(root, args, output, error, verbose, detectAnomaly);
    }

    private static Command VerifyCommand(Option<bool> verbose)
    {
        var verify = new Command("verify", "Check the gradient of every op and recurrent module (exit code 1 on any failure).");
        verify.SetAction(parse => Verify.VerifyCommand.Run(parse.InvocationConfiguration.Output, parse.GetValue(verbose)));
        return verify;
    }

    private static Command CharRnnCommand()
    {
        var defaults = new CharRnnOptions();
        var model = new Option<string>("--model") { Description = "rnn, lstm or gru", DefaultValueFactory = _ => defaults.Model };
        model.AcceptOnlyFromAmong("rnn", "lstm", "gru");
        var hidden = CommonOptions.HiddenSize(defaults.HiddenSize, "hidden state size");
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "character embedding size");
        var layers = CommonOptions.Int("--layers", "stacked recurrent layers", defaults.Layers).AtLeast(1);
        var dropout = new Option<double>("--dropout") { Description = "dropout on the embeddings and before the output projection", DefaultValueFactory = _ => defaults.Dropout }
            .InRange(0, 1, highIncluded: false);
        var sequence = CommonOptions.Int("--sequence-length", "characters per training sequence", defaults.SequenceLength).AtLeast(1);
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "sequences per batch");
        var steps = CommonOptions.Steps(defaults.Steps);
        var rate = CommonOptions.LearningRate(defaults.LearningRate);
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adagrad or sgd", DefaultValueFactory = _ => defaults.Optimizer };
        optimizer.AcceptOnlyFromAmong("adam", "adagrad", "sgd");
        var seed = CommonOptions.Seed(defaults.Seed);
        var corpus = new Option<string?>("--corpus") { Description = "a UTF-8 text file to train on (default: the built-in corpus, Shakespeare's sonnets)" }.TextFile();
        var text = new Option<string?>("--text") { Description = "a literal text to memorize, e.g. hello" }
            .Check(value => value is null || value.Length >= 2 ? null : "needs at least two characters");
        var output = CommonOptions.Output(defaults.Output);
        var metrics = CommonOptions.Metrics();
        var sampleEvery = CommonOptions.Int("--sample-every", "steps between samples", defaults.SampleEvery).AtLeast(1);
        var resume = new Option<string?>("--resume") { Description = "continue from this checkpoint folder" }.CheckpointFolder();
        var command = new Command("char-rnn", "Train a character-level language model (the main job).")
        {
            model, hidden, embedding, layers, dropout, sequence, batch, steps, rate, optimizer, seed, corpus, text, output, metrics, sampleEvery, resume,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(corpus) is not null && result.GetResult(text) is not null)
                result.AddError("--corpus and --text: give one or the other");
        });
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
            {
                var saved = Checkpoint.ReadInfo(options.Resume);
                if (options.Steps <= saved.Step)
                    throw new UsageException($"--steps {options.Steps}: the checkpoint in '{options.Resume}' is already at step {saved.Step}; give a larger total");
                options = saved.Options with { Resume = options.Resume, Steps = options.Steps, Output = options.Output, MetricsFile = options.MetricsFile };
            }
            return RunCharRnn(options, parse.InvocationConfiguration.Output);
        });
        return command;
    }

    private static int RunCharRnn(CharRnnOptions options, TextWriter output)
    {
        var trainer = new CharRnnTrainer(options, output);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            trainer.StopRequested = true;
            Console.Error.WriteLine("stopping: saving a checkpoint (resume with --resume " + options.Output + ")");
        };
        CharRnnMetrics metrics;
        if (output != Console.Out || Console.IsOutputRedirected)
        {
            trainer.Progress = (step, loss, speed) => { if (step % 50 == 0) output.WriteLine($"step {step}/{options.Steps} loss {loss:F3} {speed:F0} tokens/s"); };
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
        output.WriteLine($"done: {metrics.Steps} steps in {metrics.Seconds:F0} s ({metrics.TokensPerSecond:F0} tokens/s); " +
                         $"train loss {metrics.TrainLoss:F3}, validation {metrics.ValidationLoss:F3} nats/char " +
                         $"(unigram entropy {metrics.UnigramEntropy:F3})");
        output.WriteLine("sample: " + metrics.Sample);
        output.WriteLine($"checkpoint, loss.png in {Path.GetFullPath(options.Output)}");
        return trainer.StopRequested ? ExitCodes.Interrupted : ExitCodes.Success;
    }

    private static Command ClassifyCommand()
    {
        var defaults = new Classify.ClassifyOptions();
        var model = new Option<string>("--model") { Description = "rnn, lstm or gru (default: compare rnn and lstm)" };
        model.AcceptOnlyFromAmong("rnn", "lstm", "gru");
        var length = CommonOptions.Int("--length", "sequence length (the class is only at step 0)", defaults.Length).AtLeast(1);
        var hidden = CommonOptions.HiddenSize(defaults.HiddenSize);
        var steps = CommonOptions.Steps(defaults.Steps);
        var seed = CommonOptions.Seed(defaults.Seed);
        var metrics = CommonOptions.Metrics();
        var command = new Command("classify", "Many-to-one classification that needs memory over the whole sequence.")
        {
            model, length, hidden, steps, seed, metrics,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var models = parse.GetValue(model) is string chosen ? [chosen] : new[] { "rnn", "lstm" };
            foreach (var kind in models)
            {
                var options = defaults with
                {
                    Model = kind, Length = parse.GetValue(length), HiddenSize = parse.GetValue(hidden), Steps = parse.GetValue(steps),
                    Seed = parse.GetValue(seed), MetricsFile = models.Length == 1 ? parse.GetValue(metrics) : null,
                };
                var result = Classify.ClassifyTask.Run(options, output);
                output.WriteLine($"{kind}: accuracy {result.Accuracy:P1} on 1000 held-out sequences of length {result.Length} ({result.Seconds:F1} s)");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ForecastCommand()
    {
        var defaults = new Forecast.ForecastOptions();
        var window = CommonOptions.Int("--window", "past values the model reads", defaults.Window).AtLeast(1)
            .AtMost(Forecast.ForecastTask.MaximumWindow, $"the series has {Forecast.ForecastTask.SeriesLength} values");
        var hidden = CommonOptions.HiddenSize(defaults.HiddenSize);
        var steps = CommonOptions.Steps(defaults.Steps);
        var seed = CommonOptions.Seed(defaults.Seed);
        var output = CommonOptions.Output(defaults.Output, "output folder (forecast.png)");
        var metrics = CommonOptions.Metrics();
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
            }, parse.InvocationConfiguration.Output);
            parse.InvocationConfiguration.Output.WriteLine(
                $"validation MSE {result.ValidationMse:F5}, naive last-value MSE {result.NaiveMse:F5} " +
                $"({result.NaiveMse / result.ValidationMse:F1}x better), {result.Seconds:F1} s; forecast.png in {Path.GetFullPath(parse.GetValue(output)!)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SampleCommand()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "checkpoint folder" }.CheckpointFolder();
        var onnx = new Option<string?>("--onnx") { Description = "an ONNX file written by export onnx, run in ONNX Runtime (instead of --checkpoint)" }.ExistingFile();
        var prime = new Option<string>("--prime") { Description = "text to start from (characters of the model's vocabulary)", DefaultValueFactory = _ => "T" }.NotEmpty();
        var length = CommonOptions.Int("--length", "characters to generate", 300).AtLeast(1);
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature (0: most likely)", DefaultValueFactory = _ => 0.8 }
            .NonNegativeAndFinite();
        var seed = CommonOptions.Seed(1);
        var command = new Command("sample", "Generate text from a trained character model.") { checkpoint, onnx, prime, length, temperature, seed };
        command.SetAction(parse =>
        {
            string? onnxFile = parse.GetValue(onnx), checkpointFolder = parse.GetValue(checkpoint);
            if ((onnxFile is null) == (checkpointFolder is null))
                throw new UsageException("sample: give exactly one of --checkpoint DIR or --onnx FILE");
            if (onnxFile is not null)
            {
                parse.InvocationConfiguration.Output.WriteLine(parse.GetValue(prime) + Export.OnnxSampler.Sample(onnxFile,
                    parse.GetValue(prime)!, parse.GetValue(length), parse.GetValue(temperature), new Generator(parse.GetValue(seed))));
                return ExitCodes.Success;
            }
            var (model, vocabulary, _) = Checkpoint.LoadModel(checkpointFolder!);
            string start = parse.GetValue(prime)!;
            foreach (char unknown in start.Where(c => !vocabulary.Characters.Contains(c)).Take(1))
                throw new UsageException($"--prime: the character '{unknown}' (U+{(int)unknown:X4}) is not in the model's vocabulary of {vocabulary.Count} characters");
            parse.InvocationConfiguration.Output.WriteLine(
                start + Sampler.Sample(model, vocabulary, start, parse.GetValue(length), parse.GetValue(temperature), new Generator(parse.GetValue(seed))));
            return ExitCodes.Success;
        });
        return command;
    }
}
