namespace AutoDiffRnn.Cli;

/// <summary>PNG line charts of training curves (ScottPlot, no display needed).</summary>
public static class LossPlot
{
    /// <summary>Writes a loss-per-step chart to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyList<double> losses, string title, string yLabel = "smoothed loss (nats/char)")
    {
        var plot = new ScottPlot.Plot();
        var steps = Enumerable.Range(1, losses.Count).Select(i => (double)i).ToArray();
        plot.Add.Scatter(steps, losses.ToArray());
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(yLabel);
        plot.SavePng(path, 800, 450);
    }
}
