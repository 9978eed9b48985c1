using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Classify;

/// <summary>What <c>train classify</c> reports.</summary>
public sealed record ClassifyMetrics(string Model, int Length, double Accuracy, double FinalLoss, int Steps, double Seconds);

/// <summary>
/// A many-to-one task that needs memory: each sequence is noise except its first step, which carries the class (+1 or −1 on the
/// first input feature); the model must output that class after <c>Length</c> steps. An LSTM keeps the bit through its cell state;
/// a tanh RNN's gradient through 50 steps mostly vanishes: it stays near chance on most seeds and learns the task on some.
/// </summary>
public static class ClassifyTask
{
    /// <summary>
    /// A batch: inputs (T, B, 3) and labels. Feature 0 carries the class (±1) at step 0 and uniform noise afterwards; feature 1 is noise;
    /// feature 2 flags step 0, the only step whose feature 0 matters.
    /// </summary>
    public static (Tensor Inputs, int[] Labels) Batch(int length, int batch, Generator generator)
    {
        var values = new double[length * batch * 3];
        var labels = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            labels[b] = generator.NextInt(2);
            values[b * 3] = labels[b] == 1 ? 1 : -1;
            values[b * 3 + 2] = 1;
            for (int t = 1; t < length; t++)
            {
                values[(t * batch + b) * 3] = generator.NextDouble() * 2 - 1;     // distractors on the class channel
                values[(t * batch + b) * 3 + 1] = generator.NextDouble() * 2 - 1;
            }
        }
        return (Tensor.FromArray(values, new Shape(length, batch, 3), DType.Float32), labels);
    }

    /// <summary>
    /// Sets the forget-gate bias to <paramref name="forgetBias"/> (1 is Keras' unit_forget_bias, Jozefowicz et al. 2015), so the cell
    /// starts by remembering. The task uses ln T for sequences of T steps (the chrono initialisation of Tallec and Ollivier 2018 at its
    /// longest time scale): the forget gate starts at T/(T+1), so the memory of step 0 keeps about e⁻¹ of its size over the sequence;
    /// with a bias of 1 it keeps 0.73ᵀ (1e-4 at T = 30) and training found the class on only some seeds.
    /// </summary>
    public static void OpenForgetGates(RecurrentLayer layer, int hiddenSize, double forgetBias = 1.0)
    {
        var opened = new Dictionary<string, Tensor>();
        foreach (var (name, parameter) in layer.NamedParameters().Where(p => p.Name.StartsWith("bias_ih", StringComparison.Ordinal)))
        {
            var values = parameter.ToDoubleArray();
            for (int j = hiddenSize; j < 2 * hiddenSize; j++) values[j] = forgetBias; // rows i, f, g, o: f is the second chunk
            opened[name] = Tensor.FromArray(values, parameter.Shape, parameter.DType);
        }
        layer.LoadStateDict(opened, strict: false);
    }

    /// <summary>
    /// The model <see cref="Run"/> trains, initialised from <paramref name="generator"/>: the recurrent layer (3 inputs,
    /// <see cref="ClassifyOptions.HiddenSize"/> units; an LSTM's forget gates opened to ln T, <see cref="OpenForgetGates"/>) and the linear
    /// head from its last output to the two classes.
    /// </summary>
    public static (RecurrentLayer Layer, Linear Head) CreateModel(ClassifyOptions options, Generator generator)
    {
        var kind = options.Model switch
        {
            "lstm" => RecurrentKind.Lstm, "gru" => RecurrentKind.Gru, "rnn" => RecurrentKind.RnnTanh,
            _ => throw new ArgumentException($"model must be rnn, lstm or gru, not '{options.Model}'"),
        };
        var layer = new RecurrentLayer(kind, 3, options.HiddenSize, generator: generator);
        if (kind == RecurrentKind.Lstm) OpenForgetGates(layer, options.HiddenSize, Math.Log(options.Length));
        return (layer, new Linear(options.HiddenSize, 2, generator: generator));
    }

    /// <summary>
    /// Trains and evaluates on 1000 held-out sequences. Adam at <see cref="ClassifyOptions.LearningRate"/> with the gradient norm clipped
    /// to <see cref="ClassifyOptions.ClipNorm"/>; over the second half of the steps the rate falls along a cosine to
    /// <see cref="ClassifyOptions.FinalLearningRate"/>, so a run that has found the class is not thrown off it by a late spike.
    /// </summary>
    public static ClassifyMetrics Run(ClassifyOptions options, TextWriter log)
    {
        var generator = new Generator(options.Seed);
        var (layer, head) = CreateModel(options, generator);
        var optimizer = new Adam(layer.Parameters().Concat(head.Parameters()), options.LearningRate);
        int decaySteps = options.Steps - options.Steps / 2; // the rate is held for the first half (finding the class), then annealed
        var schedule = new CosineSchedule(optimizer, decaySteps, options.FinalLearningRate);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        double loss = double.NaN;
        for (int step = 1; step <= options.Steps; step++)
        {
            var (inputs, labels) = Batch(options.Length, options.BatchSize, generator);
            optimizer.ZeroGrad();
            var value = Loss.CrossEntropy(head.Forward(layer.Forward(inputs).LastOutput()), labels);
            value.Backward();
            GradientClipping.ClipGradNorm(layer.Parameters().Concat(head.Parameters()), options.ClipNorm);
            optimizer.Step();
            if (step > options.Steps - decaySteps) schedule.Step();
            loss = value.ToScalar();
            if (step % 100 == 0) log.WriteLine($"step {step}: loss {loss:F4}");
        }
        var (testInputs, testLabels) = Batch(options.Length, 1000, new Generator(options.Seed + 12345));
        int correct;
        using (GradMode.NoGrad())
        {
            var predictions = head.Forward(layer.Forward(testInputs).LastOutput()).ArgMax(1);
            correct = predictions.Where((prediction, i) => prediction == testLabels[i]).Count();
        }
        var metrics = new ClassifyMetrics(options.Model, options.Length, correct / 1000.0, loss, options.Steps, watch.Elapsed.TotalSeconds);
        options.WriteMetrics(metrics);
        return metrics;
    }
}
