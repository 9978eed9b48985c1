using System.Text.Json;
using AutoDiffRnn.Cli;
using AutoDiffRnn.Cli.CharRnn;

namespace AutoDiffRnn.Cli.Tests;

public sealed class CharRnnCommandTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private CharRnnOptions Tiny(string name, int steps) => new()
    {
        HiddenSize = 16, EmbeddingSize = 8, SequenceLength = 16, BatchSize = 4, Steps = steps, SampleEvery = 1000,
        Output = Path.Combine(folder, name), Seed = 3,
    };

    [Fact]
    public void TheSeedsHelloExampleIsMemorized()
    {
        var metrics = new CharRnnTrainer(Tiny("hello", 150) with { Text = "hello", HiddenSize = 32, LearningRate = 1e-2 }, TextWriter.Null).Run();
        Assert.Equal("hello", metrics.Sample);
        Assert.True(metrics.TrainLoss < 0.1, $"loss {metrics.TrainLoss}");
    }

    [Fact]
    public void TheOutputFolderHoldsCheckpointPlotAndMetrics()
    {
        var options = Tiny("run", 12) with { MetricsFile = Path.Combine(folder, "metrics.json") };
        var metrics = new CharRnnTrainer(options, TextWriter.Null).Run();
        foreach (var file in new[] { "model.safetensors", "optimizer.safetensors", "checkpoint.json", "loss.png" })
            Assert.True(File.Exists(Path.Combine(options.Output, file)), file);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(options.Output, "loss.png"))[..4]);
        using var json = JsonDocument.Parse(File.ReadAllText(options.MetricsFile!));
        Assert.Equal(12, json.RootElement.GetProperty("Steps").GetInt32());
        Assert.True(json.RootElement.GetProperty("ValidationLoss").GetDouble() > 0);
        Assert.True(metrics.UnigramEntropy > 2.5 && metrics.UnigramEntropy < 3.5, $"entropy {metrics.UnigramEntropy}");
        Assert.True(metrics.ValidationLoss < Math.Log(60), "training should beat the uniform guess");
    }

    [Fact]
    public void ResumingGivesExactlyTheUninterruptedResult()
    {
        var straight = Tiny("straight", 16);
        new CharRnnTrainer(straight, TextWriter.Null).Run();
        var first = Tiny("interrupted", 8);
        new CharRnnTrainer(first, TextWriter.Null).Run();
        var resumed = first with { Steps = 16, Resume = first.Output, Output = Path.Combine(folder, "resumed") };
        new CharRnnTrainer(resumed, TextWriter.Null).Run();
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.Output, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed.Output, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.Output, "optimizer.safetensors")), File.ReadAllBytes(Path.Combine(resumed.Output, "optimizer.safetensors")));
    }

    [Fact]
    public void SampleCommandGeneratesFromACheckpoint()
    {
        var options = Tiny("sampled", 5);
        new CharRnnTrainer(options, TextWriter.Null).Run();
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, Program.Main(["sample", "--checkpoint", options.Output, "--prime", "Shall", "--length", "40"]));
        }
        finally { Console.SetOut(previous); }
        var text = output.ToString().TrimEnd('\n');
        Assert.StartsWith("Shall", text);
        Assert.Equal(45, text.Length);
    }

    [Fact]
    public void HelpAndBadArgumentsAreHandled()
    {
        var previous = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            Assert.Equal(0, Program.Main(["train", "char-rnn", "--help"]));
            Assert.NotEqual(0, Program.Main(["train", "char-rnn", "--model", "transformer"]));
        }
        finally { Console.SetOut(previous); }
    }
}
