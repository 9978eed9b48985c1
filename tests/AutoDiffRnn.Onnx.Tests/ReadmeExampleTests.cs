using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Onnx.Export;
using AutoDiffRnn.Onnx.Runtime;
using AutoDiffRnn.Onnx.Tests.Support;

namespace AutoDiffRnn.Onnx.Tests;

/// <summary>The README's "Deploying with ONNX" example, run as written, and its logits checked against the modules' forward.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void The_readme_example_runs_and_gives_the_forward_logits()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        int section = readme.IndexOf("## Deploying with ONNX", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no 'Deploying with ONNX' section");
        string example = readme[section..readme.IndexOf("```\n", readme.IndexOf("```csharp", section, StringComparison.Ordinal) + 9, StringComparison.Ordinal)];
        Assert.Contains("OnnxExport.Save(OnnxExport.LanguageModel(embedding, lstm, decoder, new() { InitialStateInputs = true }), \"char-rnn.onnx\");", example);

        string folder = Path.Combine(Path.GetTempPath(), "adr-onnx-readme-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;
        try
        {
            // --- as in the README ---
            var generator = new Generator(1);
            var embedding = new Embedding(62, 64, generator: generator);
            var lstm = new Lstm(64, 256, numLayers: 2, generator: generator);
            var decoder = new Linear(256, 62, generator: generator);
            OnnxExport.Save(OnnxExport.LanguageModel(embedding, lstm, decoder, new() { InitialStateInputs = true }), "char-rnn.onnx");
            using var session = new OnnxRuntimeSession("char-rnn.onnx");   // or any ONNX runtime, in any language
            var logits = session.Run(new Dictionary<string, object> { ["ids"] = (new long[] { 3, 14, 15 }, new[] { 3, 1 }),
                ["initial_h"] = Tensor.Zeros(new Shape(2, 1, 256)), ["initial_c"] = Tensor.Zeros(new Shape(2, 1, 256)) })["logits"];
            // --- end ---
            Tensor expected;
            using (GradMode.NoGrad()) expected = decoder.Forward(lstm.Forward(embedding.Forward([3, 14, 15], new Shape(3, 1))).Output);
            Agreement.Close(expected, logits, 1e-5, "README logits");
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AutoDiffRnn.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new DirectoryNotFoundException("no AutoDiffRnn.sln above " + AppContext.BaseDirectory);
    }
}
