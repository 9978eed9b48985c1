using System.CommandLine;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Export;

/// <summary>The <c>export</c> command: <c>export onnx --checkpoint DIR --output FILE</c>.</summary>
internal static class ExportCommand
{
    /// <summary>Builds the command with its subcommand <c>onnx</c> and their options.</summary>
    public static Command Create()
    {
        var export = new Command("export", "Export a trained model to another format.");
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint folder written by train char-rnn", Required = true }.CheckpointFolder();
        var output = new Option<string?>("--output") { Description = "the ONNX file to write", Required = true }.WritableFile();
        var dtype = new Option<string>("--dtype") { Description = "float32 or float64", DefaultValueFactory = _ => "float32" };
        dtype.AcceptOnlyFromAmong("float32", "float64");
        var onnx = new Command("onnx", "Write the model as ONNX (opset 17, ONNX's LSTM/GRU/RNN operators), runnable in ONNX Runtime.") { checkpoint, output, dtype };
        onnx.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(CharModelOnnx.ExportCheckpoint(parse.GetValue(checkpoint)!, parse.GetValue(output)!,
                parse.GetValue(dtype) == "float64" ? DType.Float64 : DType.Float32));
            return ExitCodes.Success;
        });
        export.Subcommands.Add(onnx);
        return export;
    }
}
