using AutoDiffRnn.Cli.Forecast;

namespace AutoDiffRnn.Cli.Tests;

public sealed class ForecastTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-forecast-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void TheLstmBeatsTheNaiveForecastAndWritesItsPlot()
    {
        var metrics = ForecastTask.Run(new ForecastOptions { Steps = 150, Output = folder, MetricsFile = Path.Combine(folder, "metrics.json") }, TextWriter.Null);
        Assert.True(metrics.ValidationMse < metrics.NaiveMse / 2, $"model {metrics.ValidationMse:F5} vs naive {metrics.NaiveMse:F5}");
        Assert.True(File.Exists(Path.Combine(folder, "forecast.png")));
        Assert.Contains("NaiveMse", File.ReadAllText(Path.Combine(folder, "metrics.json")));
    }

    [Fact]
    public void TheSeriesIsReproducible()
    {
        Assert.Equal(ForecastTask.Series(50, new Generator(4)), ForecastTask.Series(50, new Generator(4)));
    }
}
