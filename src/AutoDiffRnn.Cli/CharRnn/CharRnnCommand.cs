using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;
using Spectre.Console;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>
/// The command <c>train char-rnn</c>: trains (or resumes) a character-level language model with a progress bar, or plain progress lines
/// when the output is redirected; Ctrl+C stops it after saving a checkpoint.
/// </summary>
internal static class CharRnnCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new CharRnnOptions();
        var model = new Option<string>("--model")
        {
            Description = "rnn, lstm or gru (fused kernels), or a compiled custom cell: peephole, layernorm-lstm or mgu", DefaultValueFactory = _ => defaults.Model,
        };
        model.AcceptOnlyFromAmong([.. CharLanguageModel.Kinds]);
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "character embedding size");
        var layers = CommonOptions.Int("--layers", "stacked recurrent layers", defaults.Layers).AtLeast(1);
        var dropout = new Option<double>("--dropout") { Description = "dropout on the embeddings and before the output projection", DefaultValueFactory = _ => defaults.Dropout }
            .InRange(0, 1, highIncluded: false);
        var sequence = CommonOptions.Int("--sequence-length", "characters per training sequence", defaults.SequenceLength).AtLeast(1);
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "sequences per batch");
        var rate = CommonOptions.LearningRate(defaults.LearningRate);
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adagrad or sgd", DefaultValueFactory = _ => defaults.Optimizer };
        optimizer.AcceptOnlyFromAmong("adam", "adagrad", "sgd");
        var corpus = new Option<string?>("--corpus") { Description = "a UTF-8 text file to train on (default: the built-in corpus, Shakespeare's sonnets)" }.TextFile();
        var text = new Option<string?>("--text") { Description = "a literal text to memorize, e.g. hello" }
            .Check(value => value is null || value.Length >= 2 ? null : "needs at least two characters");
        var sampleEvery = CommonOptions.Int("--sample-every", "steps between samples", defaults.SampleEvery).AtLeast(1);
        var resume = new Option<string?>("--resume") { Description = "continue from this checkpoint folder" }.CheckpointFolder();
        var shared = new TrainingOptionSet(defaults, "hidden state size", "output folder (checkpoint, loss.png)");
        var command = shared.AddTo(new Command("char-rnn", "Train a character-level language model (the main job).")
        {
            model, embedding, layers, dropout, sequence, batch, rate, optimizer, corpus, text, sampleEvery, resume,
        });
        command.Validators.Add(result =>
        {
            if (result.GetResult(corpus) is not null && result.GetResult(text) is not null)
                result.AddError("--corpus and --text: give one or the other");
        });
        command.SetAction(parse =>
        {
            var options = shared.Read(parse, defaults with
            {
                Model = parse.GetValue(model)!, EmbeddingSize = parse.GetValue(embedding), Layers = parse.GetValue(layers), Dropout = parse.GetValue(dropout),
                SequenceLength = parse.GetValue(sequence), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(rate),
                Optimizer = parse.GetValue(optimizer)!, CorpusFile = parse.GetValue(corpus), Text = parse.GetValue(text),
                SampleEvery = parse.GetValue(sampleEvery), Resume = parse.GetValue(resume),
            });
            if (options.Resume is not null)
            {
                var saved = Checkpoint.ReadInfo(options.Resume);
                if (options.Steps <= saved.Step)
                    throw new UsageException($"--steps {options.Steps}: the checkpoint in '{options.Resume}' is already at step {saved.Step}; give a larger total");
                options = saved.Options with { Resume = options.Resume, Steps = options.Steps, Output = options.Output, MetricsFile = options.MetricsFile };
            }
            return Run(options, parse.InvocationConfiguration.Output);
        });
        return command;
    }

    /// <summary>Trains with progress on <paramref name="output"/> and prints the summary; returns the exit code.</summary>
    private static int Run(CharRnnOptions options, TextWriter output)
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
}
