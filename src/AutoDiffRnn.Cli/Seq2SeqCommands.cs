using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;
using AutoDiffRnn.Cli.Seq2Seq;

namespace AutoDiffRnn.Cli;

/// <summary>The sequence-to-sequence commands: <c>train seq2seq</c>, <c>train tagger</c>, <c>train spell</c>.</summary>
internal static class Seq2SeqCommands
{
    public static Command Seq2Seq()
    {
        var defaults = new Seq2SeqOptions();
        var task = new Option<string>("--task") { Description = "dates (\"march 3 2021\" -> \"2021-03-03\") or reverse (5 to 20 letters backwards)", DefaultValueFactory = _ => defaults.Task };
        task.AcceptOnlyFromAmong("dates", "reverse");
        var attention = new Option<string>("--attention") { Description = "additive (Bahdanau), dot or general (Luong), or none", DefaultValueFactory = _ => defaults.Attention };
        attention.AcceptOnlyFromAmong("additive", "dot", "general", "none");
        var placement = new Option<string>("--placement") { Description = "luong (attend after the decoder step, fast) or bahdanau (attend from the previous state, context into the input)", DefaultValueFactory = _ => defaults.Placement };
        placement.AcceptOnlyFromAmong("luong", "bahdanau");
        var baseline = new Option<bool>("--baseline") { Description = "also train the model without attention (true or false)", DefaultValueFactory = _ => defaults.Baseline };
        var hidden = CommonOptions.HiddenSize(defaults.HiddenSize, "hidden size of each encoder direction (the decoder's is twice it)");
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "character embedding size");
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "pairs per batch");
        var steps = CommonOptions.Steps(defaults.Steps);
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var teacher = new Option<double>("--teacher-forcing") { Description = "probability of feeding the true previous token (below 1: scheduled sampling)", DefaultValueFactory = _ => defaults.TeacherForcing }.InRange(0, 1);
        var beam = CommonOptions.BeamWidth(defaults.BeamWidth);
        var test = CommonOptions.Int("--test-size", "held-out pairs evaluated", defaults.TestSize).AtLeast(1);
        var seed = CommonOptions.Seed(defaults.Seed);
        var output = CommonOptions.Output(defaults.Output, "output folder (attention.png)");
        var metrics = CommonOptions.Metrics();
        var command = new Command("seq2seq", "Encoder-decoder with attention: translate dates (\"march 3 2021\") to ISO form (\"2021-03-03\"), or reverse sequences.")
        {
            task, attention, placement, baseline, hidden, embedding, batch, steps, rate, teacher, beam, test, seed, output, metrics,
        };
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            var options = defaults with
            {
                Task = parse.GetValue(task)!, Attention = parse.GetValue(attention)!, Placement = parse.GetValue(placement)!, Baseline = parse.GetValue(baseline), HiddenSize = parse.GetValue(hidden),
                EmbeddingSize = parse.GetValue(embedding), BatchSize = parse.GetValue(batch), Steps = parse.GetValue(steps),
                LearningRate = parse.GetValue(rate), TeacherForcing = parse.GetValue(teacher), BeamWidth = parse.GetValue(beam),
                TestSize = parse.GetValue(test), Seed = parse.GetValue(seed), Output = parse.GetValue(output)!, MetricsFile = parse.GetValue(metrics),
            };
            var result = Seq2SeqTask.Run(options, parse.InvocationConfiguration.Output);
            console.WriteLine($"example: \"{result.ExampleSource}\" -> \"{result.ExampleTranslation}\"");
            foreach (var model in result.Models)
                console.WriteLine($"{(model.Attention == "none" ? "without attention" : model.Attention + " attention"),-20} exact match: greedy {model.GreedyExactMatch:P1}, " +
                                  $"beam {options.BeamWidth} {model.BeamExactMatch:P1} ({model.Parameters} parameters, trained in {model.TrainSeconds:F0} s)");
            console.WriteLine($"done in {result.Seconds:F0} s" + (result.Heatmap is null ? "" : $"; attention heatmap {Path.GetFullPath(result.Heatmap)}"));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Tagger()
    {
        var defaults = new Cli.Tagger.TaggerOptions();
        var hidden = CommonOptions.HiddenSize(defaults.HiddenSize, "hidden size of each direction");
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "word embedding size");
        var bidirectional = new Option<bool>("--bidirectional") { Description = "read both ways (true or false)", DefaultValueFactory = _ => defaults.Bidirectional };
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "sentences per batch");
        var steps = CommonOptions.Steps(defaults.Steps);
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var test = CommonOptions.Int("--test-size", "held-out sentences evaluated", defaults.TestSize).AtLeast(1);
        var seed = CommonOptions.Seed(defaults.Seed);
        var metrics = CommonOptions.Metrics();
        var command = new Command("tagger", "Many-to-many aligned tagging: parts of speech of generated sentences with ambiguous words, bidirectional LSTM.")
        {
            hidden, embedding, bidirectional, batch, steps, rate, test, seed, metrics,
        };
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            var result = Cli.Tagger.TaggerTask.Run(defaults with
            {
                HiddenSize = parse.GetValue(hidden), EmbeddingSize = parse.GetValue(embedding), Bidirectional = parse.GetValue(bidirectional),
                BatchSize = parse.GetValue(batch), Steps = parse.GetValue(steps), LearningRate = parse.GetValue(rate), TestSize = parse.GetValue(test),
                Seed = parse.GetValue(seed), MetricsFile = parse.GetValue(metrics),
            }, parse.InvocationConfiguration.Output);
            console.WriteLine("example: " + result.Example);
            console.WriteLine($"{(result.Bidirectional ? "bidirectional" : "left-to-right")}: token accuracy {result.TokenAccuracy:P2} " +
                              $"(noun-or-verb words {result.AmbiguousTokenAccuracy:P2}), whole sentences {result.SentenceAccuracy:P1}, {result.Seconds:F0} s");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Spell()
    {
        var defaults = new Cli.Spell.SpellOptions();
        var hidden = CommonOptions.HiddenSize(defaults.HiddenSize, "decoder hidden size");
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "character embedding size");
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "conditions per batch");
        var steps = CommonOptions.Steps(defaults.Steps);
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var beam = CommonOptions.BeamWidth(defaults.BeamWidth);
        var seed = CommonOptions.Seed(defaults.Seed);
        var metrics = CommonOptions.Metrics();
        var command = new Command("spell", "One-to-many generation: a decoder conditioned on a number's class vector spells its name (42 -> \"forty two\").")
        {
            hidden, embedding, batch, steps, rate, beam, seed, metrics,
        };
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            var result = Cli.Spell.SpellTask.Run(defaults with
            {
                HiddenSize = parse.GetValue(hidden), EmbeddingSize = parse.GetValue(embedding), BatchSize = parse.GetValue(batch),
                Steps = parse.GetValue(steps), LearningRate = parse.GetValue(rate), BeamWidth = parse.GetValue(beam), Seed = parse.GetValue(seed),
                MetricsFile = parse.GetValue(metrics),
            }, parse.InvocationConfiguration.Output);
            console.WriteLine("examples: " + string.Join(", ", result.Examples));
            console.WriteLine($"exact match over the {result.Classes} classes: greedy {result.GreedyExactMatch:P0}, beam {result.BeamExactMatch:P0}, {result.Seconds:F0} s");
            return ExitCodes.Success;
        });
        return command;
    }
}
