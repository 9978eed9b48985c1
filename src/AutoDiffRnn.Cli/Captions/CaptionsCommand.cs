using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Captions;

/// <summary>The command <c>train captions</c>.</summary>
internal static class CaptionsCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new CaptionsOptions();
        var attention = new Option<string>("--attention") { Description = "additive (attend over the 8x8 feature grid) or none (global features set the decoder's state)", DefaultValueFactory = _ => defaults.Attention };
        attention.AcceptOnlyFromAmong("additive", "none");
        var channels = CommonOptions.Int("--channels", "channels of the second convolution (the first has half)", defaults.Channels2).AtLeast(2);
        var colour = CommonOptions.Int("--colour-channels", "channels of the colour stream (1x1 convolution over RGB; the 3x3 convolutions then see only the shape mask and coordinates), 0 for one joint stream", defaults.ColourChannels).AtLeast(0);
        var schedule = new Option<string>("--schedule") { Description = "learning-rate schedule: cosine (decays to a tenth) or constant", DefaultValueFactory = _ => defaults.Schedule };
        schedule.AcceptOnlyFromAmong("cosine", "constant");
        var embedding = CommonOptions.EmbeddingSize(defaults.EmbeddingSize, "word embedding size");
        var wordDropout = new Option<double>("--word-dropout") { Description = "probability of feeding UNK instead of the previous word while training", DefaultValueFactory = _ => defaults.WordDropout }
            .InRange(0, 1, highIncluded: false);
        var batch = CommonOptions.BatchSize(defaults.BatchSize, "scenes per batch");
        var rate = CommonOptions.LearningRate(defaults.LearningRate, "Adam learning rate");
        var beam = CommonOptions.BeamWidth(defaults.BeamWidth);
        var test = CommonOptions.Int("--test-size", "held-out scenes evaluated", defaults.TestSize).AtLeast(1);
        var shared = new TrainingOptionSet(defaults, "decoder hidden size", "output folder (checkpoint, captions.png)");
        var command = shared.AddTo(new Command("captions", "One-to-many from images: a CNN encoder and an LSTM decoder attending over the feature grid caption generated scenes; evaluated on colour-shape pairs never seen in training.")
        {
            attention, channels, colour, embedding, wordDropout, batch, rate, schedule, beam, test,
        });
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration.Output;
            int secondChannels = parse.GetValue(channels);
            var options = shared.Read(parse, defaults with
            {
                Attention = parse.GetValue(attention)!, Channels1 = secondChannels / 2, Channels2 = secondChannels, ColourChannels = parse.GetValue(colour), Schedule = parse.GetValue(schedule)!,
                EmbeddingSize = parse.GetValue(embedding), WordDropout = parse.GetValue(wordDropout), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(rate),
                BeamWidth = parse.GetValue(beam), TestSize = parse.GetValue(test),
            });
            var result = CaptionsTask.Run(options, console);
            foreach (var example in result.Examples) console.WriteLine("held out: " + example);
            console.WriteLine($"{(result.Attention == "none" ? "without attention" : result.Attention + " attention")}: held-out exact match greedy {result.GreedyExactMatch:P1}, " +
                              $"beam {result.BeamWidth} {result.BeamExactMatch:P1}, words {result.WordAccuracy:P1} on {result.TestSize} scenes; seen pairs, new layouts: greedy {result.SeenExactMatch:P1} " +
                              $"({result.Parameters} parameters, trained in {result.TrainSeconds:F0} s, {result.Seconds:F0} s in all)");
            console.WriteLine($"checkpoint, captions.png in {Path.GetFullPath(options.Output)}");
            return ExitCodes.Success;
        });
        return command;
    }
}
