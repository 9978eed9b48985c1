using System.CommandLine;
using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Cli.CommandLine;
using AutoDiffRnn.Cli.Export;

namespace AutoDiffRnn.Cli.Sample;

/// <summary>The command <c>sample</c>: generates text from a character model, a checkpoint folder or an exported ONNX file.</summary>
internal static class SampleCommand
{
    /// <summary>Builds the command with its options and checks.</summary>
    public static Command Create()
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
            string start = parse.GetValue(prime)!;
            var generator = new Generator(parse.GetValue(seed));
            string generated;
            if (onnxFile is not null)
                generated = OnnxSampler.Sample(onnxFile, start, parse.GetValue(length), parse.GetValue(temperature), generator);
            else
            {
                var (model, vocabulary, _) = Checkpoint.LoadModel(checkpointFolder!);
                foreach (char unknown in start.Where(c => !vocabulary.Characters.Contains(c)).Take(1))
                    throw new UsageException($"--prime: the character '{unknown}' (U+{(int)unknown:X4}) is not in the model's vocabulary of {vocabulary.Count} characters");
                generated = Sampler.Sample(model, vocabulary, start, parse.GetValue(length), parse.GetValue(temperature), generator);
            }
            parse.InvocationConfiguration.Output.WriteLine(start + generated);
            return ExitCodes.Success;
        });
        return command;
    }
}
