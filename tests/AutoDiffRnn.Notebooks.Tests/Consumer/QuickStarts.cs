using AutoDiffRnn;
using AutoDiffRnn.FSharp;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Notebooks.Consumer;

/// <summary>
/// The README's C# quick starts (the tape, a recurrent layer, GradCheck), printing their results one "name: values" line each.
/// This file is compiled twice: into this suite, against the solution's projects, and into a new console project outside the solution,
/// against the packed packages (ConsumerCheckTests); both must print the same lines.
/// </summary>
public static class QuickStarts
{
    /// <summary>Runs the three quick starts and writes one line per result to <paramref name="output"/>.</summary>
    public static void Run(TextWriter output)
    {
        // Quick start: the tape
        var x = Tensor.FromArray(new double[] { 0.5, -1.0, 2.0 }).SetRequiresGrad();
        var w = Tensor.Normal(new Shape(3, 3), dtype: DType.Float64, generator: new Generator(seed: 1)).SetRequiresGrad();
        var h = Tensor.MatMul(w, x.Reshape(3, 1)).Tanh();
        var loss = (h * h).Sum();
        loss.Backward();
        output.WriteLine($"tape loss: {loss.ToScalar():R}");
        output.WriteLine($"tape dloss/dw: {Join(w.Grad!.ToDoubleArray())}");
        output.WriteLine($"tape graph: {h.GradFn}");
        x.ZeroGrad();
        loss = x.Tanh().Sum();
        loss.Backward(createGraph: true);
        output.WriteLine($"tape dtanh: {Join(x.Grad!.ToDoubleArray())}");
        (x.Grad! * x.Grad!).Sum().Backward();
        output.WriteLine($"tape after the gradient of the gradient: {Join(x.Grad!.ToDoubleArray())}");

        // Recurrent models
        var generator = new Generator(seed: 1);
        var lstm = new Lstm(inputSize: 8, hiddenSize: 32, batchFirst: true, generator: generator);
        var head = new Linear(32, 2, generator: generator);
        var optimizer = new Adam(lstm.Parameters().Concat(head.Parameters()), learningRate: 1e-2);
        var inputs = Tensor.Normal(new Shape(16, 20, 8), generator: generator);
        int[] labels = Enumerable.Range(0, 16).Select(i => inputs[i, 0, 0] > 0 ? 1 : 0).ToArray();
        var losses = new List<double>();
        for (int step = 0; step < 100; step++)
        {
            optimizer.ZeroGrad();
            var last = lstm.Forward(inputs).LastOutput();
            var stepLoss = Loss.CrossEntropy(head.Forward(last), labels);
            losses.Add(stepLoss.ToScalar());
            stepLoss.Backward();
            optimizer.Step();
        }
        output.WriteLine($"lstm loss first, last: {losses[0]:R}, {losses[^1]:R}");

        // Verifying gradients
        var a = Tensor.Normal(new Shape(3, 4), dtype: DType.Float64, generator: new Generator(1));
        var b = Tensor.Normal(new Shape(4), dtype: DType.Float64, generator: new Generator(2));
        var report = GradCheck.Check(GradCase.Create("tanh(a*b)", t => (t[0] * t[1]).Tanh(), t => DualModule.Tanh(t[0] * t[1]), [a, b]));
        report.EnsurePassed();
        output.WriteLine($"gradcheck passed: {report.Passed}, comparisons: {report.Comparisons.Length}");
    }

    private static string Join(double[] values) => string.Join(" ", values.Select(v => v.ToString("R")));
}
