using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Tagger;

/// <summary>The command <c>train tagger</c>: trains the part-of-speech tagger and prints its held-out accuracy.</summary>
internal static class TaggerCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new TaggerOptions();
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "word embedding size");
        var bidirectional = new Option<bool>("--bidirectional") { Description = "read both ways (true or false)", DefaultValueFactory = _ => defaults.Bidirectional };
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "sentences per batch");
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var test = CommonOptions.Int("--test-size", "held-out sentences evaluated", defaults.TestSize).AtLeast(1);
        var shared = new TrainingOptionSet(defaults, "hidden size of each direction");
        var command = shared.AddTo(new Command("tagger", "Many-to-many aligned tagging: parts of speech of generated sentences with ambiguous words, bidirectional LSTM.")
        {
            embedding, bidirectional, batch, rate, test,
        });
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            var result = TaggerTask.Run(shared.Read(parse, defaults with
            {
                EmbeddingSize = parse.GetValue(embedding), Bidirectional = parse.GetValue(bidirectional), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(rate), TestSize = parse.GetValue(test),
            }), console);
            console.WriteLine("example: " + result.Example);
            console.WriteLine($"{(result.Bidirectional ? "bidirectional" : "left-to-right")}: token accuracy {result.TokenAccuracy:P2} " +
                              $"(noun-or-verb words {result.AmbiguousTokenAccuracy:P2}), whole sentences {result.SentenceAccuracy:P1}, {result.Seconds:F0} s");
            return ExitCodes.Success;
        });
        return command;
    }
}
