using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Spell;

/// <summary>The command <c>train spell</c>: trains the conditioned generator and prints how many number names it spells exactly.</summary>
internal static class SpellCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new SpellOptions();
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "character embedding size");
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "conditions per batch");
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var beam = CommonOptions.BeamWidth(defaults.BeamWidth);
        var shared = new TrainingOptionSet(defaults, "decoder hidden size");
        var command = shared.AddTo(new Command("spell", "One-to-many generation: a decoder conditioned on a number's class vector spells its name (42 -> \"forty two\").")
        {
            embedding, batch, rate, beam,
        });
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            var result = SpellTask.Run(shared.Read(parse, defaults with
            {
                EmbeddingSize = parse.GetValue(embedding), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(rate), BeamWidth = parse.GetValue(beam),
            }), console);
            console.WriteLine("examples: " + string.Join(", ", result.Examples));
            console.WriteLine($"exact match over the {result.Classes} classes: greedy {result.GreedyExactMatch:P0}, beam {result.BeamExactMatch:P0}, {result.Seconds:F0} s");
            return ExitCodes.Success;
        });
        return command;
    }
}
