namespace AutoDiffRnn.Cli.Seq2Seq;

/// <summary>A PNG heatmap of attention weights (ScottPlot): one row per generated token, one column per source token.</summary>
public static class AttentionHeatmap
{
    /// <summary>Writes the heatmap of <paramref name="weights"/> (rows: output steps, columns: source steps) to <paramref name="path"/>.</summary>
    public static void Save(string path, double[][] weights, string[] sourceTokens, string[] outputTokens, string title)
    {
        int rows = weights.Length, columns = sourceTokens.Length;
        if (rows != outputTokens.Length || weights.Any(row => row.Length != columns))
            throw new ArgumentException($"attention heatmap: {rows} rows of weights for {outputTokens.Length} output tokens, " +
                $"rows of [{string.Join(",", weights.Select(r => r.Length).Distinct())}] weights for {columns} source tokens");
        var intensities = new double[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) intensities[r, c] = weights[r][c];
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        static string Show(string token) => token == " " ? "␣" : token;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(c => (double)c).ToArray(), sourceTokens.Select(Show).ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r)).ToArray(), outputTokens.Select(Show).ToArray());
        plot.Title(title);
        plot.XLabel("source");
        plot.YLabel("output");
        plot.SavePng(path, Math.Max(500, 28 * columns + 200), Math.Max(350, 28 * rows + 150));
    }
}
