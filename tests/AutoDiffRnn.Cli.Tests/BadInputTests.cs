using AutoDiffRnn.Cli.CharRnn;
using AutoDiffRnn.Cli.CommandLine;

namespace AutoDiffRnn.Cli.Tests;

/// <summary>A tiny trained checkpoint, and a scratch folder, shared by the bad-input tests.</summary>
public sealed class CheckpointFixture : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "adr-bad-input-" + Guid.NewGuid().ToString("N"));

    public string Checkpoint => Path.Combine(Folder, "checkpoint");

    public CheckpointFixture() =>
        new CharRnnTrainer(new CharRnnOptions { Text = "hello world", HiddenSize = 8, EmbeddingSize = 4, Steps = 3, Output = Path.Combine(Folder, "checkpoint") },
            TextWriter.Null).Run();

    /// <summary>A copy of the checkpoint with one file replaced by <paramref name="content"/>.</summary>
    public string CopyWith(string file, byte[] content)
    {
        var copy = Path.Combine(Folder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        foreach (var source in Directory.GetFiles(Checkpoint)) File.Copy(source, Path.Combine(copy, Path.GetFileName(source)));
        File.WriteAllBytes(Path.Combine(copy, file), content);
        return copy;
    }

    public string WriteFile(string name, byte[] content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>Every bad input of issue 14 (and more): exit code 2 for usage errors, 1 for runtime failures, one line on stderr naming the culprit.</summary>
public sealed class BadInputTests(CheckpointFixture fixture) : IClassFixture<CheckpointFixture>
{
    private const int Usage = ExitCodes.UsageError, Runtime = ExitCodes.RuntimeFailure;

    [Theory]
    [InlineData("--batch-size", "0", "must be at least 1, got 0")]
    [InlineData("--batch-size", "-1", "must be at least 1, got -1")]
    [InlineData("--sequence-length", "-3", "must be at least 1, got -3")]
    [InlineData("--sequence-length", "0", "must be at least 1, got 0")]
    [InlineData("--sample-every", "0", "must be at least 1, got 0")]
    [InlineData("--steps", "-5", "must be at least 1, got -5")]
    [InlineData("--steps", "0", "must be at least 1, got 0")]
    [InlineData("--hidden-size", "0", "must be at least 1, got 0")]
    [InlineData("--embedding-size", "-2", "must be at least 1, got -2")]
    [InlineData("--layers", "0", "must be at least 1, got 0")]
    [InlineData("--dropout", "1", "must be in [0, 1), got 1")]
    [InlineData("--dropout", "-0.1", "must be in [0, 1), got -0.1")]
    [InlineData("--learning-rate", "0", "must be a finite number above 0, got 0")]
    [InlineData("--learning-rate", "NaN", "must be a finite number above 0, got NaN")]
    [InlineData("--learning-rate", "Infinity", "must be a finite number above 0, got Infinity")]
    [InlineData("--text", "a", "needs at least two characters")]
    public void CharRnnRefusesOutOfRangeValues(string option, string value, string problem) =>
        CliRun.Of("train", "char-rnn", option, value, "--output", Path.Combine(fixture.Folder, "unused")).AssertFails(Usage, option + ": " + problem);

    [Theory]
    [InlineData("--steps", "abc", "'abc'")]
    [InlineData("--steps", "99999999999", "'99999999999'")]
    [InlineData("--model", "transformer", "'transformer'")]
    [InlineData("--optimizer", "lbfgs", "'lbfgs'")]
    [InlineData("--seed", "-1", "'-1'")]
    public void CharRnnRefusesValuesThatDoNotParse(string option, string value, string quoted) =>
        CliRun.Of("train", "char-rnn", option, value).AssertFails(Usage, quoted, option);

    [Fact]
    public void UnknownOptionsAndCommandsAreUsageErrors()
    {
        CliRun.Of("train", "char-rnn", "--stepz", "3").AssertFails(Usage, "'--stepz'");
        CliRun.Of("trian").AssertFails(Usage, "'trian'");
        CliRun.Of("train").AssertFails(Usage, "Required command");
        CliRun.Of("sample").AssertFails(Usage, "--checkpoint");
        CliRun.Of("sample", "--checkpoint", fixture.Checkpoint, "--detect-anomaly").AssertFails(Usage, "'--detect-anomaly'"); // a training option only
    }

    [Fact]
    public void ACorpusThatIsAFolderIsRefused() =>
        CliRun.Of("train", "char-rnn", "--corpus", fixture.Folder).AssertFails(Usage, "--corpus", fixture.Folder, "is a folder");

    [Fact]
    public void AMissingCorpusIsRefused()
    {
        var missing = Path.Combine(fixture.Folder, "no-such-corpus.txt");
        CliRun.Of("train", "char-rnn", "--corpus", missing).AssertFails(Usage, "--corpus", missing, "does not exist");
    }

    [Fact]
    public void AnExecutableIsNotACorpus()
    {
        // the start of an ELF executable, as /bin/ls: invalid UTF-8 and NUL bytes
        var binary = fixture.WriteFile("program.bin", [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3E, 0, 0xC8, 0xFF, 0xFE]);
        CliRun.Of("train", "char-rnn", "--corpus", binary).AssertFails(Usage, "--corpus", binary, "is not UTF-8 text");
        if (File.Exists("/bin/ls"))
            CliRun.Of("train", "char-rnn", "--corpus", "/bin/ls").AssertFails(Usage, "--corpus", "/bin/ls", "not");
    }

    [Fact]
    public void ValidUtf8WithControlCharactersIsNotACorpus()
    {
        var withNul = fixture.WriteFile("nul.txt", "abc\0def"u8.ToArray());
        CliRun.Of("train", "char-rnn", "--corpus", withNul).AssertFails(Usage, "--corpus", "is not text (control character U+0000 at character 3)");
    }

    [Fact]
    public void AnEmptyCorpusIsRefused()
    {
        var empty = fixture.WriteFile("empty.txt", []);
        CliRun.Of("train", "char-rnn", "--corpus", empty).AssertFails(Usage, "--corpus", "holds 0 characters");
    }

    [Fact]
    public void CorpusAndTextTogetherAreRefused()
    {
        var corpus = fixture.WriteFile("corpus.txt", "some text"u8.ToArray());
        CliRun.Of("train", "char-rnn", "--corpus", corpus, "--text", "hello").AssertFails(Usage, "--corpus and --text");
    }

    [Fact]
    public void AnOutputFolderThatIsAFileAndAMetricsFileThatIsAFolderAreRefused()
    {
        var file = fixture.WriteFile("a-file", [1]);
        CliRun.Of("train", "char-rnn", "--output", file).AssertFails(Usage, "--output", file, "is a file");
        CliRun.Of("train", "char-rnn", "--metrics", fixture.Folder).AssertFails(Usage, "--metrics", fixture.Folder, "is a folder");
        CliRun.Of("train", "forecast", "--output", file).AssertFails(Usage, "--output", "is a file");
    }

    [Fact]
    public void AResumeFolderThatIsMissingOrHoldsNoCheckpointIsRefused()
    {
        var missing = Path.Combine(fixture.Folder, "no-such-run");
        CliRun.Of("train", "char-rnn", "--resume", missing).AssertFails(Usage, "--resume", missing, "does not exist");
        CliRun.Of("train", "char-rnn", "--resume", fixture.Folder).AssertFails(Usage, "--resume", "holds no checkpoint.json");
    }

    [Fact]
    public void ResumingToAStepTheCheckpointAlreadyPassedIsRefused() =>
        CliRun.Of("train", "char-rnn", "--resume", fixture.Checkpoint, "--steps", "2", "--output", Path.Combine(fixture.Folder, "resumed"))
            .AssertFails(Usage, "--steps 2", "already at step 3");

    [Theory]
    [InlineData("{\"Model\": ", "checkpoint.json is not a valid checkpoint description")]
    [InlineData("[1, 2, 3]", "checkpoint.json is not a valid checkpoint description")]
    [InlineData("{}", "the field 'Model' is missing")]
    [InlineData("null", "it holds null")]
    public void ACorruptCheckpointJsonIsNamedOnResumeAndOnSample(string json, string problem)
    {
        var copy = fixture.CopyWith("checkpoint.json", System.Text.Encoding.UTF8.GetBytes(json));
        var file = Path.Combine(copy, "checkpoint.json");
        CliRun.Of("train", "char-rnn", "--resume", copy, "--steps", "5", "--output", Path.Combine(copy, "out")).AssertFails(Runtime, file, problem);
        CliRun.Of("sample", "--checkpoint", copy).AssertFails(Runtime, file, problem);
    }

    [Fact]
    public void ACheckpointJsonDescribingAnImpossibleModelIsNamed()
    {
        var json = File.ReadAllText(Path.Combine(fixture.Checkpoint, "checkpoint.json")).Replace("\"HiddenSize\": 8", "\"HiddenSize\": -8");
        var copy = fixture.CopyWith("checkpoint.json", System.Text.Encoding.UTF8.GetBytes(json));
        CliRun.Of("sample", "--checkpoint", copy).AssertFails(Runtime, Path.Combine(copy, "checkpoint.json"), "sizes must be at least 1");
    }

    [Fact]
    public void ATruncatedWeightsFileIsNamed()
    {
        var weights = File.ReadAllBytes(Path.Combine(fixture.Checkpoint, "model.safetensors"));
        var copy = fixture.CopyWith("model.safetensors", weights[..100]);
        CliRun.Of("sample", "--checkpoint", copy).AssertFails(Runtime, Path.Combine(copy, "model.safetensors"));
        CliRun.Of("train", "char-rnn", "--resume", copy, "--steps", "5", "--output", Path.Combine(copy, "out")).AssertFails(Runtime, Path.Combine(copy, "model.safetensors"));
    }

    [Fact]
    public void ATruncatedOptimizerFileIsNamedOnResume()
    {
        var state = File.ReadAllBytes(Path.Combine(fixture.Checkpoint, "optimizer.safetensors"));
        var copy = fixture.CopyWith("optimizer.safetensors", state[..(state.Length / 2)]);
        CliRun.Of("train", "char-rnn", "--resume", copy, "--steps", "5", "--output", Path.Combine(copy, "out")).AssertFails(Runtime, Path.Combine(copy, "optimizer.safetensors"));
    }

    [Fact]
    public void WeightsForAnotherModelAreNamed()
    {
        var json = File.ReadAllText(Path.Combine(fixture.Checkpoint, "checkpoint.json")).Replace("\"HiddenSize\": 8", "\"HiddenSize\": 9");
        var copy = fixture.CopyWith("checkpoint.json", System.Text.Encoding.UTF8.GetBytes(json));
        CliRun.Of("sample", "--checkpoint", copy).AssertFails(Runtime, Path.Combine(copy, "model.safetensors"));
    }

    [Theory]
    [InlineData("--length", "-5", "--length: must be at least 1, got -5")]
    [InlineData("--length", "0", "--length: must be at least 1, got 0")]
    [InlineData("--temperature", "NaN", "--temperature: must be a finite number, 0 or above, got NaN")]
    [InlineData("--temperature", "-1", "--temperature: must be a finite number, 0 or above, got -1")]
    [InlineData("--temperature", "Infinity", "--temperature: must be a finite number, 0 or above")]
    [InlineData("--prime", "", "--prime: must not be empty")]
    public void SampleRefusesOutOfRangeValues(string option, string value, string message) =>
        CliRun.Of("sample", "--checkpoint", fixture.Checkpoint, option, value).AssertFails(Usage, message);

    [Fact]
    public void SampleRefusesAPrimeOutsideTheVocabulary() =>
        CliRun.Of("sample", "--checkpoint", fixture.Checkpoint, "--prime", "hellZ").AssertFails(Usage, "--prime", "'Z'", "not in the model's vocabulary");

    [Fact]
    public void SampleRefusesAMissingCheckpointOrAFileInItsPlace()
    {
        var missing = Path.Combine(fixture.Folder, "nothing-here");
        CliRun.Of("sample", "--checkpoint", missing).AssertFails(Usage, "--checkpoint", missing, "does not exist");
        var file = fixture.WriteFile("not-a-folder", [1]);
        CliRun.Of("sample", "--checkpoint", file).AssertFails(Usage, "--checkpoint", file, "is a file, not a folder");
    }

    [Theory]
    [InlineData("classify", "--length", "0")]
    [InlineData("classify", "--hidden-size", "0")]
    [InlineData("classify", "--steps", "-1")]
    [InlineData("forecast", "--window", "0")]
    [InlineData("forecast", "--steps", "0")]
    [InlineData("seq2seq", "--batch-size", "0")]
    [InlineData("seq2seq", "--beam-width", "0")]
    [InlineData("seq2seq", "--test-size", "0")]
    [InlineData("seq2seq", "--embedding-size", "0")]
    [InlineData("tagger", "--test-size", "0")]
    [InlineData("tagger", "--batch-size", "-4")]
    [InlineData("spell", "--batch-size", "0")]
    [InlineData("spell", "--beam-width", "0")]
    public void EveryTrainingCommandChecksItsSizes(string command, string option, string value) =>
        CliRun.Of("train", command, option, value).AssertFails(Usage, $"{option}: must be at least 1, got {value}");

    [Theory]
    [InlineData("seq2seq", "--teacher-forcing", "1.5", "must be in [0, 1], got 1.5")]
    [InlineData("seq2seq", "--learning-rate", "-1", "must be a finite number above 0, got -1")]
    [InlineData("tagger", "--learning-rate", "NaN", "must be a finite number above 0, got NaN")]
    [InlineData("spell", "--learning-rate", "0", "must be a finite number above 0, got 0")]
    public void EveryTrainingCommandChecksItsRates(string command, string option, string value, string problem) =>
        CliRun.Of("train", command, option, value).AssertFails(Usage, $"{option}: {problem}");

    [Fact]
    public void AForecastWindowLongerThanTheSeriesIsRefused() =>
        CliRun.Of("train", "forecast", "--window", "5000").AssertFails(Usage, "--window: must be at most 2399 (the series has 3000 values), got 5000");

    [Fact]
    public void SeveralBadValuesAreAllNamedOnOneLine() =>
        CliRun.Of("train", "char-rnn", "--steps", "0", "--batch-size", "0").AssertFails(Usage, "--steps: must be at least 1", "--batch-size: must be at least 1");

    [Fact]
    public void VerboseAddsTheStackTraceOfARuntimeFailure()
    {
        var copy = fixture.CopyWith("checkpoint.json", "{"u8.ToArray());
        var run = CliRun.Of("sample", "--checkpoint", copy, "--verbose");
        Assert.Equal(Runtime, run.ExitCode);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("autodiffrnn: error: ", lines[0]);
        Assert.Contains("System.IO.InvalidDataException", run.Error);
        Assert.Contains("   at AutoDiffRnn.Cli.CharRnn.Checkpoint.ReadInfo", run.Error);
    }

    [Fact]
    public void DetectAnomalyStopsAtTheFirstNaNNamingTheOp()
    {
        // a learning rate of 1e30 wrecks the weights; without anomaly mode the run ends (with a NaN sample), with it the first NaN stops it
        string[] args = ["train", "char-rnn", "--text", "hello world", "--steps", "5", "--hidden-size", "8", "--embedding-size", "4",
            "--optimizer", "sgd", "--learning-rate", "1e30"];
        Assert.Equal(0, CliRun.Of([.. args, "--output", Path.Combine(fixture.Folder, "diverged")]).ExitCode);
        CliRun.Of([.. args, "--output", Path.Combine(fixture.Folder, "diverged-detected"), "--detect-anomaly"])
            .AssertFails(Runtime, "anomaly mode (forward): 'lstm_sequence' produced", "NaN", "CharLanguageModel.cs:line", "op chain from the leaves");
    }
}
