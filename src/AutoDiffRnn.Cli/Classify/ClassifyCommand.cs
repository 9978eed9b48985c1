using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Classify;

/// <summary>The command <c>train classify</c>: trains the chosen model, or a tanh RNN and an LSTM side by side, and prints each one's accuracy.</summary>
internal static class ClassifyCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
    {
        var defaults = new ClassifyOptions();
        var model = new Option<string>("--model") { Description = "rnn, lstm or gru (default: compare rnn and lstm)" };
        model.AcceptOnlyFromAmong("rnn", "lstm", "gru");
        var length = CommonOptions.Int("--length", "sequence length (the class is only at step 0)", defaults.Length).AtLeast(1);
        var shared = new TrainingOptionSet(defaults);
        var command = shared.AddTo(new Command("classify", "Many-to-one classification that needs memory over the whole sequence.") { model, length });
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var models = parse.GetValue(model) is string chosen ? [chosen] : new[] { "rnn", "lstm" };
            var options = shared.Read(parse, defaults with { Length = parse.GetValue(length) });
            foreach (var kind in models)
            {
                var result = ClassifyTask.Run(options with { Model = kind, MetricsFile = models.Length == 1 ? options.MetricsFile : null }, output);
                output.WriteLine($"{kind}: accuracy {result.Accuracy:P1} on 1000 held-out sequences of length {result.Length} ({result.Seconds:F1} s)");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
