using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Data;
using AutoDiffRnn.Losses;
using AutoDiffRnn.Nn;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Forecast;

/// <summary>What <c>train forecast</c> reports: validation errors of the model and of the naive last-value forecast.</summary>
public sealed record ForecastMetrics(double ValidationMse, double NaiveMse, double TrainLoss, int Steps, double Seconds);

/// <summary>
/// Many-to-one regression: an LSTM reads a window of a noisy sum of sines and predicts the next value (MSE). The series is split in
/// time, 80% for training and the last 20% for validation, and the model is compared with the naive forecast "the next value equals
/// the last one".
/// </summary>
public static class ForecastTask
{
    /// <summary>sin(0.1 t) + ½ sin(0.37 t + 1) + N(0, 0.05²).</summary>
    public static double[] Series(int length, Generator generator) =>
        Enumerable.Range(0, length).Select(t => Math.Sin(0.1 * t) + 0.5 * Math.Sin(0.37 * t + 1) + 0.05 * generator.NextNormal()).ToArray();

    /// <summary>The length of the generated series (80% to train, 20% to validate).</summary>
    public const int SeriesLength = 3000;

    /// <summary>The longest window that leaves training windows: the training part is 2400 values.</summary>
    public const int MaximumWindow = SeriesLength * 4 / 5 - 1;

    /// <summary>Trains, evaluates, writes forecast.png and the metrics.</summary>
    public static ForecastMetrics Run(ForecastOptions options, TextWriter log)
    {
        if (options.Window < 1 || options.Window > MaximumWindow)
            throw new ArgumentOutOfRangeException(nameof(options), options.Window, $"forecast: the window must be in [1, {MaximumWindow}], got {options.Window}");
        var generator = new Generator(options.Seed);
        var series = Series(SeriesLength, generator);
        int split = (int)(series.Length * 0.8);
        var (trainInputs, trainTargets) = Sequences.SlidingWindows(series[..split], options.Window);
        var (validationInputs, validationTargets) = Sequences.SlidingWindows(series[(split - options.Window)..], options.Window);
        var lstm = new Lstm(1, options.HiddenSize, generator: generator) { UseFusedKernels = true };
        var head = new Linear(options.HiddenSize, 1, generator: generator);
        var parameters = lstm.Parameters().Concat(head.Parameters()).ToArray();
        var optimizer = new Adam(parameters, 1e-2);
        Tensor Predict(double[,] windows, int[] rows)
        {
            var values = new double[options.Window * rows.Length];
            for (int t = 0; t < options.Window; t++)
                for (int b = 0; b < rows.Length; b++) values[t * rows.Length + b] = windows[rows[b], t];
            var input = Tensor.FromArray(values, new Shape(options.Window, rows.Length, 1), DType.Float32);
            return head.Forward(lstm.Forward(input).LastOutput()).Reshape(rows.Length);
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        double trainLoss = double.NaN;
        for (int step = 1; step <= options.Steps; step++)
        {
            var rows = Enumerable.Range(0, options.BatchSize).Select(_ => generator.NextInt(trainTargets.Length)).ToArray();
            var targets = Tensor.FromArray(rows.Select(r => trainTargets[r]).ToArray(), new Shape(rows.Length), DType.Float32);
            optimizer.ZeroGrad();
            var loss = Loss.MeanSquaredError(Predict(trainInputs, rows), targets);
            loss.Backward();
            GradientClipping.ClipGradNorm(parameters, 1);
            optimizer.Step();
            trainLoss = loss.ToScalar();
            if (step % 100 == 0) log.WriteLine($"step {step}: train MSE {trainLoss:F5}");
        }
        double[] predictions;
        using (GradMode.NoGrad())
            predictions = Predict(validationInputs, Enumerable.Range(0, validationTargets.Length).ToArray()).ToDoubleArray();
        double validationMse = predictions.Zip(validationTargets, (p, y) => (p - y) * (p - y)).Average();
        double naiveMse = Enumerable.Range(0, validationTargets.Length)
            .Select(i => validationInputs[i, options.Window - 1] - validationTargets[i]).Average(d => d * d);
        var metrics = new ForecastMetrics(validationMse, naiveMse, trainLoss, options.Steps, watch.Elapsed.TotalSeconds);

        Directory.CreateDirectory(options.Output);
        var plot = new ScottPlot.Plot();
        var xs = Enumerable.Range(0, 200).Select(i => (double)i).ToArray();
        plot.Add.Scatter(xs, validationTargets[..200]).LegendText = "truth";
        plot.Add.Scatter(xs, predictions[..200]).LegendText = "LSTM forecast";
        plot.ShowLegend();
        plot.Title($"one-step forecast on held-out data: MSE {validationMse:F4} (naive {naiveMse:F4})");
        plot.SavePng(Path.Combine(options.Output, "forecast.png"), 900, 400);
        options.WriteMetrics(metrics);
        return metrics;
    }
}
