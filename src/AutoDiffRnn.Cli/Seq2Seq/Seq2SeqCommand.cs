using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Seq2Seq;

/// <summary>The command <c>train seq2seq</c>: trains the encoder-decoder (with and without attention) and prints each one's exact match.</summary>
internal static class Seq2SeqCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new Seq2SeqOptions();
        var task = new Option<string>("--task") { Description = "dates (\"march 3 2021\" -> \"2021-03-03\") or reverse (5 to 20 letters backwards)", DefaultValueFactory = _ => defaults.Task };
        task.AcceptOnlyFromAmong("dates", "reverse");
        var attention = new Option<string>("--attention") { Description = "additive (Bahdanau), dot or general (Luong), or none", DefaultValueFactory = _ => defaults.Attention };
        attention.AcceptOnlyFromAmong("additive", "dot", "general", "none");
        var placement = new Option<string>("--placement") { Description = "luong (attend after the decoder step, fast) or bahdanau (attend from the previous state, context into the input)", DefaultValueFactory = _ => defaults.Placement };
        placement.AcceptOnlyFromAmong("luong", "bahdanau");
        var baseline = new Option<bool>("--baseline") { Description = "also train the model without attention (true or false)", DefaultValueFactory = _ => defaults.Baseline };
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "character embedding size");
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "pairs per batch");
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var teacher = new Option<double>("--teacher-forcing") { Description = "probability of feeding the true previous token (below 1: scheduled sampling)", DefaultValueFactory = _ => defaults.TeacherForcing }.InRange(0, 1);
        var beam = CommonOptions.BeamWidth(defaults.BeamWidth);
        var test = CommonOptions.Int("--test-size", "held-out pairs evaluated", defaults.TestSize).AtLeast(1);
        var shared = new TrainingOptionSet(defaults, "hidden size of each encoder direction (the decoder's is twice it)", "output folder (attention.png)");
        var command = shared.AddTo(new Command("seq2seq", "Encoder-decoder with attention: translate dates (\"march 3 2021\") to ISO form (\"2021-03-03\"), or reverse sequences.")
        {
            task, attention, placement, baseline, embedding, batch, rate, teacher, beam, test,
        });
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            var options = shared.Read(parse, defaults with
            {
                Task = parse.GetValue(task)!, Attention = parse.GetValue(attention)!, Placement = parse.GetValue(placement)!, Baseline = parse.GetValue(baseline),
                EmbeddingSize = parse.GetValue(embedding), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(rate),
                TeacherForcing = parse.GetValue(teacher), BeamWidth = parse.GetValue(beam), TestSize = parse.GetValue(test),
            });
            var result = Seq2SeqTask.Run(options, console);
            console.WriteLine($"example: \"{result.ExampleSource}\" -> \"{result.ExampleTranslation}\"");
            foreach (var model in result.Models)
                console.WriteLine($"{(model.Attention == "none" ? "without attention" : model.Attention + " attention"),-20} exact match: greedy {model.GreedyExactMatch:P1}, " +
                                  $"beam {options.BeamWidth} {model.BeamExactMatch:P1} ({model.Parameters} parameters, trained in {model.TrainSeconds:F0} s)");
            console.WriteLine($"done in {result.Seconds:F0} s" + (result.Heatmap is null ? "" : $"; attention heatmap {Path.GetFullPath(result.Heatmap)}"));
            return ExitCodes.Success;
        });
        return command;
    }
}
