using System.CommandLine;
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
        var hidden = new Option<int>("--hidden-size") { Description = "hidden size of each encoder direction (the decoder's is twice it)", DefaultValueFactory = _ => defaults.HiddenSize };
        var embedding = new Option<int>("--embedding-size") { Description = "character embedding size", DefaultValueFactory = _ => defaults.EmbeddingSize };
        var batch = new Option<int>("--batch-size") { Description = "pairs per batch", DefaultValueFactory = _ => defaults.BatchSize };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var teacher = new Option<double>("--teacher-forcing") { Description = "probability of feeding the true previous token (below 1: scheduled sampling)", DefaultValueFactory = _ => defaults.TeacherForcing };
        var beam = new Option<int>("--beam-width") { Description = "beam width of the beam-search evaluation", DefaultValueFactory = _ => defaults.BeamWidth };
        var test = new Option<int>("--test-size") { Description = "held-out pairs evaluated", DefaultValueFactory = _ => defaults.TestSize };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<string>("--output") { Description = "output folder (attention.png)", DefaultValueFactory = _ => defaults.Output };
        var metrics = new Option<string?>("--metrics") { Description = "write metrics JSON to this file" };
        var command = new Command("seq2seq", "Encoder-decoder with attention: translate dates (\"march 3 2021\") to ISO form (\"2021-03-03\"), or reverse sequences.")
        {
            task, attention, placement, baseline, hidden, embedding, batch, steps, rate, teacher, beam, test, seed, output, metrics,
        };
        command.SetAction(parse =>
        {
            var options = defaults with
            {
                Task = parse.GetValue(task)!, Attention = parse.GetValue(attention)!, Placement = parse.GetValue(placement)!, Baseline = parse.GetValue(baseline), HiddenSize = parse.GetValue(hidden),
                EmbeddingSize = parse.GetValue(embedding), BatchSize = parse.GetValue(batch), Steps = parse.GetValue(steps),
                LearningRate = parse.GetValue(rate), TeacherForcing = parse.GetValue(teacher), BeamWidth = parse.GetValue(beam),
                TestSize = parse.GetValue(test), Seed = parse.GetValue(seed), Output = parse.GetValue(output)!, MetricsFile = parse.GetValue(metrics),
            };
            var result = Seq2SeqTask.Run(options, Console.Out);
            Console.WriteLine($"example: \"{result.ExampleSource}\" -> \"{result.ExampleTranslation}\"");
            foreach (var model in result.Models)
                Console.WriteLine($"{(model.Attention == "none" ? "without attention" : model.Attention + " attention"),-20} exact match: greedy {model.GreedyExactMatch:P1}, " +
                                  $"beam {options.BeamWidth} {model.BeamExactMatch:P1} ({model.Parameters} parameters, trained in {model.TrainSeconds:F0} s)");
            Console.WriteLine($"done in {result.Seconds:F0} s" + (result.Heatmap is null ? "" : $"; attention heatmap {Path.GetFullPath(result.Heatmap)}"));
            return 0;
        });
        return command;
    }

    public static Command Tagger()
    {
        var defaults = new Cli.Tagger.TaggerOptions();
        var hidden = new Option<int>("--hidden-size") { Description = "hidden size of each direction", DefaultValueFactory = _ => defaults.HiddenSize };
        var embedding = new Option<int>("--embedding-size") { Description = "word embedding size", DefaultValueFactory = _ => defaults.EmbeddingSize };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "read both ways (true or false)", DefaultValueFactory = _ => defaults.Bidirectional };
        var batch = new Option<int>("--batch-size") { Description = "sentences per batch", DefaultValueFactory = _ => defaults.BatchSize };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var test = new Option<int>("--test-size") { Description = "held-out sentences evaluated", DefaultValueFactory = _ => defaults.TestSize };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var metrics = new Option<string?>("--metrics") { Description = "write metrics JSON to this file" };
        var command = new Command("tagger", "Many-to-many aligned tagging: parts of speech of generated sentences with ambiguous words, bidirectional LSTM.")
        {
            hidden, embedding, bidirectional, batch, steps, rate, test, seed, metrics,
        };
        command.SetAction(parse =>
        {
            var result = Cli.Tagger.TaggerTask.Run(defaults with
            {
                HiddenSize = parse.GetValue(hidden), EmbeddingSize = parse.GetValue(embedding), Bidirectional = parse.GetValue(bidirectional),
                BatchSize = parse.GetValue(batch), Steps = parse.GetValue(steps), LearningRate = parse.GetValue(rate), TestSize = parse.GetValue(test),
                Seed = parse.GetValue(seed), MetricsFile = parse.GetValue(metrics),
            }, Console.Out);
            Console.WriteLine("example: " + result.Example);
            Console.WriteLine($"{(result.Bidirectional ? "bidirectional" : "left-to-right")}: token accuracy {result.TokenAccuracy:P2} " +
                              $"(noun-or-verb words {result.AmbiguousTokenAccuracy:P2}), whole sentences {result.SentenceAccuracy:P1}, {result.Seconds:F0} s");
            return 0;
        });
        return command;
    }

    public static Command Spell()
    {
        var defaults = new Cli.Spell.SpellOptions();
        var hidden = new Option<int>("--hidden-size") { Description = "decoder hidden size", DefaultValueFactory = _ => defaults.HiddenSize };
        var embedding = new Option<int>("--embedding-size") { Description = "character embedding size", DefaultValueFactory = _ => defaults.EmbeddingSize };
        var batch = new Option<int>("--batch-size") { Description = "conditions per batch", DefaultValueFactory = _ => defaults.BatchSize };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var beam = new Option<int>("--beam-width") { Description = "beam width of the beam-search evaluation", DefaultValueFactory = _ => defaults.BeamWidth };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var metrics = new Option<string?>("--metrics") { Description = "write metrics JSON to this file" };
        var command = new Command("spell", "One-to-many generation: a decoder conditioned on a number's class vector spells its name (42 -> \"forty two\").")
        {
            hidden, embedding, batch, steps, rate, beam, seed, metrics,
        };
        command.SetAction(parse =>
        {
            var result = Cli.Spell.SpellTask.Run(defaults with
            {
                HiddenSize = parse.GetValue(hidden), EmbeddingSize = parse.GetValue(embedding), BatchSize = parse.GetValue(batch),
                Steps = parse.GetValue(steps), LearningRate = parse.GetValue(rate), BeamWidth = parse.GetValue(beam), Seed = parse.GetValue(seed),
                MetricsFile = parse.GetValue(metrics),
            }, Console.Out);
            Console.WriteLine("examples: " + string.Join(", ", result.Examples));
            Console.WriteLine($"exact match over the {result.Classes} classes: greedy {result.GreedyExactMatch:P0}, beam {result.BeamExactMatch:P0}, {result.Seconds:F0} s");
            return 0;
        });
        return command;
    }
}
