using AutoDiffRnn.Compile;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Tests.Compile;

/// <summary>The README's "Your own cell" example, as written there (between the markers), with its claim checked: the loss falls.</summary>
public class ReadmeOwnCellTests
{
    [Fact]
    public void The_readme_peephole_lstm_compiles_and_learns_to_remember_the_first_input()
    {
        var losses = new List<double>();
        // README begin
        var g = new Generator(seed: 1);
        int input = 8, hidden = 32;
        Tensor P(params int[] shape) => Tensor.Uniform(new Shape(shape), -0.2, 0.2, generator: g).SetRequiresGrad();
        Tensor wx = P(4 * hidden, input), wh = P(4 * hidden, hidden), b = P(4 * hidden), pi = P(hidden), pf = P(hidden), po = P(hidden), wo = P(2, hidden);
        var peephole = Compiled.Cell((x, s) =>                    // s = [h, c]; returns the new [h, c]
        {
            var gates = (Tensor.Linear(x, wx, b) + Tensor.Linear(s[0], wh, null)).Chunk(4, 1);
            var c = (gates[1] + pf * s[1]).Sigmoid() * s[1] + (gates[0] + pi * s[1]).Sigmoid() * gates[2].Tanh();
            return [(gates[3] + po * c).Sigmoid() * c.Tanh(), c];
        });
        var optimizer = new Adam([wx, wh, b, pi, pf, po, wo], learningRate: 1e-2);
        var xs = Tensor.Normal(new Shape(20, 16, input), generator: g);                         // 20 steps, 16 sequences
        int[] labels = Enumerable.Range(0, 16).Select(i => xs[0, i, 0] > 0 ? 1 : 0).ToArray(); // remember the first input
        var zero = Tensor.Zeros(new Shape(16, hidden));
        for (int step = 0; step < 100; step++)
        {
            optimizer.ZeroGrad();
            var final = Recurrence.Run(peephole, xs, [zero, zero]).FinalStates[0][0];          // h after the last step
            var loss = Loss.CrossEntropy(Tensor.Linear(final, wo, null), labels);
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.ToScalar());
        }
        // README end
        Assert.Null(peephole.FallbackReason);
        Assert.Equal(1, peephole.CompilationCount);
        Assert.True(losses[^1] < 0.2 * losses[0], $"loss {losses[0]:F3} -> {losses[^1]:F3}");
    }

    [Fact]
    public void The_readme_shows_the_example_as_the_test_runs_it()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var test = File.ReadAllLines(Path.Combine(RepositoryRoot(), "tests", "AutoDiffRnn.Tests", "Compile", "ReadmeOwnCellTests.cs"));
        int begin = Array.FindIndex(test, line => line.Trim() == "// README begin"), end = Array.FindIndex(test, line => line.Trim() == "// README end");
        var lines = test[(begin + 1)..end].Select(line => line.Trim()).Where(line => !line.Contains("losses.Add") && !line.Contains("loss.Backward") && line.Length > 0);
        foreach (var line in lines.Where(line => !line.StartsWith("var loss =")))
            Assert.Contains(line, readme);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AutoDiffRnn.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("the repository root (AutoDiffRnn.sln) was not found above the test binaries");
    }
}
