using System.Text.Json;
using AutoDiffRnn.Cli.CharRnn;

namespace AutoDiffRnn.Cli.Tests;

/// <summary><c>train char-rnn --model peephole</c>: a compiled custom cell (issue 19) as the char model's recurrent layers.</summary>
public sealed class CharRnnCompiledCellTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void A_peephole_model_trained_from_the_command_line_memorizes_hello_and_samples_from_its_checkpoint()
    {
        string output = Path.Combine(folder, "peephole");
        var run = CliRun.Of("train", "char-rnn", "--model", "peephole", "--text", "hello", "--hidden-size", "32", "--embedding-size", "8",
            "--sequence-length", "16", "--batch-size", "4", "--learning-rate", "0.01", "--steps", "150", "--seed", "3", "--output", output,
            "--metrics", Path.Combine(folder, "metrics.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json"))))
        {
            Assert.Equal("hello", json.RootElement.GetProperty("Sample").GetString());
            Assert.True(json.RootElement.GetProperty("TrainLoss").GetDouble() < 0.1, json.RootElement.ToString());
        }
        var (model, _, info) = Checkpoint.LoadModel(output);
        Assert.Equal("peephole", info.Model.Kind);
        Assert.Null(model.Recurrent);
        Assert.Contains(model.NamedParameters(), parameter => parameter.Name == "rnn.peephole_forget_l0");

        var sampled = CliRun.Of("sample", "--checkpoint", output, "--prime", "he", "--length", "3", "--temperature", "0");
        Assert.True(sampled.ExitCode == 0, sampled.Error);
        Assert.StartsWith("hello", sampled.Output);
    }

    [Fact]
    public void Every_compiled_cell_kind_builds_a_char_model_that_runs_forward_and_backward()
    {
        foreach (var kind in new[] { "peephole", "layernorm-lstm", "mgu" })
        {
            var model = new CharLanguageModel(new CharModelConfig(kind, 7, 4, 5, 2), new Generator(1));
            var (logits, state) = model.Forward([1, 2, 3, 4, 5, 6], 3, 2);
            Assert.Equal(new Shape(3, 2, 7), logits.Shape);
            Assert.Equal(new Shape(2, 2, 5), state.Hidden.Shape);
            Assert.Equal(kind != "mgu", state.Cell is not null);
            logits.Sum().Backward();
            Assert.All(model.Parameters(), parameter => Assert.NotNull(parameter.Grad));
        }
    }
}
