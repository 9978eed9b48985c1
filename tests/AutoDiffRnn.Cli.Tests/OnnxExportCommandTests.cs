using AutoDiffRnn.Cli.CommandLine;
using AutoDiffRnn.Cli;
using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Cli.Export;
using AutoDiffRnn.Onnx.Runtime;

namespace AutoDiffRnn.Cli.Tests;

/// <summary><c>export onnx</c> and <c>sample --onnx</c>: the exported char-rnn runs in ONNX Runtime and generates the checkpoint's text.</summary>
[Collection("Console")]
public sealed class OnnxExportCommandTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-onnx-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private string Train(string model, int layers)
    {
        var options = new CharRnnOptions
        {
            Model = model, Layers = layers, HiddenSize = 24, EmbeddingSize = 8, SequenceLength = 16, BatchSize = 4, Steps = 30, SampleEvery = 1000,
            Output = Path.Combine(folder, model + layers), Seed = 5,
        };
        new CharRnnTrainer(options, TextWriter.Null).Run();
        return options.Output;
    }

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("gru", 2)]
    [InlineData("rnn", 1)]
    public void Onnx_sampling_at_temperature_zero_gives_the_checkpoint_text(string kind, int layers)
    {
        var checkpoint = Train(kind, layers);
        var file = Path.Combine(folder, kind + ".onnx");
        CharModelOnnx.ExportCheckpoint(checkpoint, file, DType.Float32);
        var (model, vocabulary, _) = Checkpoint.LoadModel(checkpoint);
        var expected = Sampler.Sample(model, vocabulary, "Shall I", 80, 0, new Generator(1));
        Assert.Equal(expected, OnnxSampler.Sample(file, "Shall I", 80, 0, new Generator(1)));
        Assert.True(expected.Distinct().Count() > 1 || expected.Length == 80);
    }

    [Fact]
    public void Exported_logits_equal_the_checkpoint_forward()
    {
        var checkpoint = Train("lstm", 2);
        var file = Path.Combine(folder, "lstm2.onnx");
        CharModelOnnx.ExportCheckpoint(checkpoint, file, DType.Float32);
        var (model, vocabulary, _) = Checkpoint.LoadModel(checkpoint);
        var ids = vocabulary.Encode("From fairest creatures we desire increase,");
        int steps = ids.Length / 2;
        var (logits, state) = model.Forward(ids, steps, 2);
        using var session = new OnnxRuntimeSession(file);
        var outputs = session.Run(new Dictionary<string, object>
        {
            ["ids"] = (ids.Select(id => (long)id).ToArray(), new[] { steps, 2 }),
            ["initial_h"] = Tensor.Zeros(new Shape(2, 2, 24)),
            ["initial_c"] = Tensor.Zeros(new Shape(2, 2, 24)),
        });
        AssertClose(logits, outputs["logits"]);
        AssertClose(state.Hidden, outputs["final_h"]);
        AssertClose(state.Cell!, outputs["final_c"]);
        Assert.Equal(vocabulary.ToJson(), session.Metadata[CharModelOnnx.VocabularyKey]);
        Assert.Equal("lstm", session.Metadata["autodiffrnn.kind"]);
    }

    [Fact]
    public void The_commands_export_and_sample_through_the_command_line()
    {
        var checkpoint = Train("lstm", 1);
        var file = Path.Combine(folder, "cli.onnx");
        var (exit, output, _) = Run(["export", "onnx", "--checkpoint", checkpoint, "--output", file]);
        Assert.Equal(0, exit);
        Assert.Contains("wrote", output);
        Assert.True(new FileInfo(file).Length > 1000);
        var fromCheckpoint = Run(["sample", "--checkpoint", checkpoint, "--prime", "Th", "--length", "50", "--temperature", "0"]);
        var fromOnnx = Run(["sample", "--onnx", file, "--prime", "Th", "--length", "50", "--temperature", "0"]);
        Assert.Equal(0, fromOnnx.Exit);
        Assert.Equal(fromCheckpoint.Output, fromOnnx.Output);
        Assert.Equal("Th".Length + 50 + Environment.NewLine.Length, fromOnnx.Output.Length);
        Assert.StartsWith("Th", fromOnnx.Output);
    }

    [Fact]
    public void Bad_files_give_one_line_on_stderr_naming_the_file()
    {
        string absentFolder = Path.Combine(folder, "nothing");
        CliRun.Of("export", "onnx", "--checkpoint", absentFolder, "--output", Path.Combine(folder, "x.onnx")).AssertFails(ExitCodes.UsageError, "--checkpoint", absentFolder);
        string absentFile = Path.Combine(folder, "absent.onnx");
        CliRun.Of("sample", "--onnx", absentFile).AssertFails(ExitCodes.UsageError, "--onnx", absentFile);
        Directory.CreateDirectory(folder);
        var garbage = Path.Combine(folder, "garbage.onnx");
        File.WriteAllText(garbage, "not a model");
        CliRun.Of("sample", "--onnx", garbage).AssertFails(ExitCodes.RuntimeFailure, "garbage.onnx");
        CliRun.Of("sample").AssertFails(ExitCodes.UsageError, "--checkpoint DIR or --onnx FILE");
        var checkpoint = Train("lstm", 1);
        CliRun.Of("sample", "--checkpoint", checkpoint, "--onnx", garbage).AssertFails(ExitCodes.UsageError, "exactly one of");
    }

    [Fact]
    public void A_float64_export_holds_double_weights_and_sample_refuses_it_with_the_reason()
    {
        var checkpoint = Train("gru", 1);
        var file = Path.Combine(folder, "double.onnx");
        var run = CliRun.Of("export", "onnx", "--checkpoint", checkpoint, "--output", file, "--dtype", "float64");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("float64", run.Output);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
        Assert.All(model.Graph.Initializer.Where(i => i.DataType != 7), i => Assert.Equal(11, i.DataType));
        Assert.Equal(11, model.Graph.Output.Single(o => o.Name == "logits").Type.TensorType.ElemType);
        CliRun.Of("sample", "--onnx", file).AssertFails(ExitCodes.RuntimeFailure, "float64", "--dtype float32");
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5 * scale, $"element {i}: {a[i]} vs {e[i]}");
    }

    private static (int Exit, string Output, string Error) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try { return (Program.Main(args), output.ToString(), error.ToString()); }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}
