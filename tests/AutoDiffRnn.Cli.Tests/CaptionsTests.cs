using System.Text.Json;
using AutoDiffRnn.Cli.Captions;

namespace AutoDiffRnn.Cli.Tests;

public sealed class CaptionsTests : IDisposable
{
    private const int Usage = CommandLine.ExitCodes.UsageError;
    private readonly string folder = Path.Combine(Path.GetTempPath(), "adr-captions-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private static Scene[] Scenes(ulong seed, int count, bool heldOut)
    {
        var random = new Generator(seed);
        return Enumerable.Range(0, count).Select(_ => SceneGenerator.Next(random, heldOut)).ToArray();
    }

    [Fact]
    public void TheGeneratorIsDeterministicPerSeed()
    {
        var first = Scenes(7, 50, heldOut: false);
        var again = Scenes(7, 50, heldOut: false);
        var other = Scenes(8, 50, heldOut: false);
        Assert.Equal(first.Select(s => s.Caption), again.Select(s => s.Caption));
        Assert.All(first.Zip(again), pair => Assert.Equal(pair.First.Pixels, pair.Second.Pixels));
        Assert.NotEqual(first.Select(s => s.Caption), other.Select(s => s.Caption));
        Assert.Equal(CaptionsTask.TestScenes(3, 20).Select(s => s.Caption), CaptionsTask.TestScenes(3, 20).Select(s => s.Caption));
    }

    [Fact]
    public void HeldOutPairsNeverAppearInTrainingAndEveryTestSceneHasOne()
    {
        var training = Scenes(1, 3000, heldOut: false);
        var pairs = training.SelectMany(s => s.Shapes).Select(s => (s.Colour, s.Shape)).ToHashSet();
        Assert.DoesNotContain(pairs, pair => SceneGenerator.IsHeldOut(pair.Colour, pair.Shape));
        // every other colour-shape pair is seen, so each held-out colour and shape is known from other partners
        Assert.Equal(SceneGenerator.Colours.Length * SceneGenerator.Shapes.Length - SceneGenerator.HeldOutPairs.Length, pairs.Count);
        Assert.All(CaptionsTask.TestScenes(1, 500), scene => Assert.Contains(scene.Shapes, s => SceneGenerator.IsHeldOut(s.Colour, s.Shape)));
        Assert.Contains(training, s => s.Shapes.Length == 1);
        Assert.Contains(training, s => s.Shapes.Length == 3);
    }

    [Fact]
    public void CaptionsNameTheShapesInReadingOrderWithTheirRelations()
    {
        SceneShape Shape(string shape, string colour, bool large, int row, int column) => new(shape, colour, large, row, column);
        Assert.Equal("a small red circle above a large blue square",
            SceneGenerator.Caption([Shape("circle", "red", false, 0, 0), Shape("square", "blue", true, 1, 0)]));
        Assert.Equal("a large green cross left of a small cyan triangle and a small red circle",
            SceneGenerator.Caption([Shape("cross", "green", true, 0, 0), Shape("triangle", "cyan", false, 0, 1), Shape("circle", "red", false, 1, 0)]));
        var scene = Scenes(5, 1, heldOut: false)[0];
        Assert.Equal(3 * SceneGenerator.Size * SceneGenerator.Size, scene.Pixels.Length);
        Assert.Contains(scene.Pixels, value => value > 0);                  // something is drawn
        Assert.Equal(scene.Caption, SceneGenerator.Caption(scene.Shapes));
    }

    [Fact]
    public void AShortTrainingRunWritesMetricsCheckpointAndPicture()
    {
        string metrics = Path.Combine(folder, "captions.json");
        var run = CliRun.Of("train", "captions", "--steps", "3", "--channels", "4", "--hidden-size", "8", "--embedding-size", "4", "--batch-size", "4",
            "--test-size", "6", "--beam-width", "2", "--output", folder, "--metrics", metrics);
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        Assert.Equal("additive", json.RootElement.GetProperty("Attention").GetString());
        Assert.Equal(6, json.RootElement.GetProperty("TestSize").GetInt32());
        foreach (var name in new[] { "GreedyExactMatch", "BeamExactMatch", "WordAccuracy", "SeenExactMatch" })
            Assert.InRange(json.RootElement.GetProperty(name).GetDouble(), 0, 1);
        Assert.True(double.IsFinite(json.RootElement.GetProperty("FinalLoss").GetDouble()));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(folder, "captions.png"))[..4]);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Contains("held-out exact match", run.Output);
    }

    [Fact]
    public void TheGlobalFeatureVariantRunsWithoutAttention()
    {
        var run = CliRun.Of("train", "captions", "--attention", "none", "--steps", "2", "--channels", "4", "--hidden-size", "8", "--embedding-size", "4",
            "--batch-size", "4", "--test-size", "4", "--colour-channels", "0", "--schedule", "constant", "--output", folder);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("without attention", run.Output);
    }

    [Fact]
    public void BadArgumentsAreOneLineErrors()
    {
        CliRun.Of("train", "captions", "--attention", "dot").AssertFails(Usage, "--attention", "dot");
        CliRun.Of("train", "captions", "--steps", "0").AssertFails(Usage, "--steps", "at least 1");
        CliRun.Of("train", "captions", "--channels", "1").AssertFails(Usage, "--channels", "at least 2");
        CliRun.Of("train", "captions", "--learning-rate", "-1").AssertFails(Usage, "--learning-rate");
        CliRun.Of("train", "captions", "--test-size", "0").AssertFails(Usage, "--test-size");
        CliRun.Of("train", "captions", "--word-dropout", "1").AssertFails(Usage, "--word-dropout");
        CliRun.Of("train", "captions", "--colour-channels", "-1").AssertFails(Usage, "--colour-channels", "at least 0");
        CliRun.Of("train", "captions", "--schedule", "linear").AssertFails(Usage, "--schedule", "linear");
    }

    [Fact]
    public void WordDropoutFeedsUnknownWordsAndChangesTheLoss()
    {
        var model = new ImageCaptioner(CaptionsTask.Vocabulary.Count, (2, 4), 3, 4, attend: true, dtype: DType.Float64, generator: new Generator(2));
        var scenes = Scenes(6, 3, heldOut: false);
        var images = model.Images(scenes);
        var captions = scenes.Select(CaptionsTask.Encode).ToArray();
        double plain = model.Loss(images, captions).ToScalar();
        Assert.Equal(plain, model.Loss(images, captions).ToScalar());
        Assert.NotEqual(plain, model.Loss(images, captions, 0.9, 3, new Generator(1)).ToScalar());
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Loss(images, captions, 1.0, 3, new Generator(1)));
    }

    [Fact]
    public void TheSplitEncodersShapeFeaturesDoNotDependOnColour()
    {
        var scene = Scenes(9, 1, heldOut: false)[0];
        // the same scene in other colours: red and blue swapped, green halved (the foreground mask stays the same)
        const int plane = SceneGenerator.Size * SceneGenerator.Size;
        var pixels = new float[scene.Pixels.Length];
        for (int i = 0; i < plane; i++)
            (pixels[i], pixels[plane + i], pixels[2 * plane + i]) = (scene.Pixels[2 * plane + i], scene.Pixels[plane + i] / 2, scene.Pixels[i]);
        var recoloured = scene with { Pixels = pixels };
        var split = new ImageCaptioner(CaptionsTask.Vocabulary.Count, (4, 6), 3, 4, attend: true, colourChannels: 5, dtype: DType.Float64, generator: new Generator(4));
        var (first, second) = (split.Features(split.Images([scene])), split.Features(split.Images([recoloured])));
        Assert.Equal(new Shape(1, 6 + 5, 8, 8), first.Shape);
        Assert.Equal(11, split.FeatureChannels);
        Assert.Equal(first.Narrow(1, 0, 6).ToDoubleArray(), second.Narrow(1, 0, 6).ToDoubleArray());           // shape stream: colour-blind
        Assert.NotEqual(first.Narrow(1, 6, 5).ToDoubleArray(), second.Narrow(1, 6, 5).ToDoubleArray());        // colour stream: not
        var joint = new ImageCaptioner(CaptionsTask.Vocabulary.Count, (4, 6), 3, 4, attend: true, colourChannels: 0, dtype: DType.Float64, generator: new Generator(4));
        Assert.NotEqual(joint.Features(joint.Images([scene])).ToDoubleArray(), joint.Features(joint.Images([recoloured])).ToDoubleArray());
    }

    [Fact]
    public void TheImagesMustHaveTheCaptionersShape()
    {
        var model = new ImageCaptioner(CaptionsTask.Vocabulary.Count, (2, 4), 3, 4, attend: true, generator: new Generator(1));
        var error = Assert.Throws<ArgumentException>(() => model.Encode(Tensor.Zeros(new Shape(2, 3, 32, 32))));
        Assert.Contains("ImageCaptioner", error.Message);
        Assert.Contains("got " + new Shape(2, 3, 32, 32), error.Message);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(true, 3)]
    [InlineData(false, 3)]
    public void TheCaptionersLossGradientMatchesFiniteDifferencesInFloat64(bool attend, int colourChannels)
    {
        var random = new Generator(3);
        var model = captioner = new ImageCaptioner(CaptionsTask.Vocabulary.Count, (2, 3), 3, 4, attend, colourChannels, DType.Float64, random);
        var scenes = Scenes(4, 2, heldOut: false);
        var images = model.Images(scenes);
        var captions = scenes.Select(CaptionsTask.Encode).ToArray();
        model.ZeroGrad();
        model.Loss(images, captions).Backward();
        int checkedEntries = 0;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            var analytic = parameter.Grad!.ToDoubleArray();
            // a few entries per parameter: the first, the middle and the last
            foreach (int i in new[] { 0, parameter.ElementCount / 2, parameter.ElementCount - 1 }.Distinct())
            {
                double original = parameter.ToDoubleArray()[i], step = 1e-6;
                double Loss(double value)
                {
                    using var _ = Autodiff.GradMode.NoGrad();
                    Set(name, parameter, i, value);
                    return model.Loss(images, captions).ToScalar();
                }
                double numeric = (Loss(original + step) - Loss(original - step)) / (2 * step);
                Set(name, parameter, i, original);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                    $"{name}[{i}]: analytic {analytic[i]:G9}, finite difference {numeric:G9}");
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries >= 20, $"only {checkedEntries} entries checked");
    }

    private void Set(string name, Tensor parameter, int index, double value)
    {
        var values = parameter.ToDoubleArray();
        values[index] = value;
        captioner!.LoadStateDict(new Dictionary<string, Tensor> { [name] = Tensor.FromArray(values, parameter.Shape, DType.Float64) }, strict: false);
    }

    private ImageCaptioner? captioner;
}
