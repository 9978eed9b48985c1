using System.CommandLine;

namespace AutoDiffRnn.Cli.Export;

/// <summary>The <c>export</c> command: <c>export onnx --checkpoint DIR --output FILE</c>.</summary>
internal static class ExportCommands
{
    /// <summary>The command with its subcommands.</summary>
    public static Command Export()
    {
        var export = new Command("export", "Export a trained model to another format.");
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint folder written by train char-rnn", Required = true };
        var output = new Option<string>("--output") { Description = "the ONNX file to write", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "float32 or float64", DefaultValueFactory = _ => "float32" };
        dtype.AcceptOnlyFromAmong("float32", "float64");
        var onnx = new Command("onnx", "Write the model as ONNX (opset 17, ONNX's LSTM/GRU/RNN operators), runnable in ONNX Runtime.") { checkpoint, output, dtype };
        onnx.SetAction(parse => Guarded("export onnx", () =>
        {
            Console.WriteLine(CharModelOnnx.ExportCheckpoint(parse.GetValue(checkpoint)!, parse.GetValue(output)!,
                parse.GetValue(dtype) == "float64" ? DType.Float64 : DType.Float32));
        }));
        export.Subcommands.Add(onnx);
        return export;
    }

    /// <summary>
    /// Runs <paramref name="action"/>; a failure of the user's input (a missing or foreign file) becomes one line on stderr and exit code 1,
    /// without a stack trace.
    /// </summary>
    public static int Guarded(string command, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException
                                       or System.Text.Json.JsonException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Console.Error.WriteLine($"{command}: {e.Message.Split('\n')[0]}");
            return 1;
        }
    }
}
