using AutoDiffRnn.Cli.Classify;

namespace AutoDiffRnn.Cli.Tests;

public class ClassifyTests
{
    [Fact]
    public void LstmRemembersTheFirstStepOnEverySeedWhereATanhRnnOftenDoesNot()
    {
        // The LSTM must succeed on each seed; the tanh RNN learns the task on some seeds only, so it must fail on at least one of four.
        foreach (ulong seed in new ulong[] { 1, 2 })
        {
            var lstm = ClassifyTask.Run(new ClassifyOptions { Model = "lstm", Seed = seed }, TextWriter.Null);
            Assert.True(lstm.Accuracy > 0.95, $"LSTM accuracy {lstm.Accuracy:P1} with seed {seed}");
        }
        var rnn = new ulong[] { 1, 2, 3, 4 }.Select(seed => ClassifyTask.Run(new ClassifyOptions { Model = "rnn", Seed = seed }, TextWriter.Null).Accuracy).ToArray();
        Assert.True(rnn.Min() < 0.75, $"tanh RNN accuracies {string.Join(", ", rnn.Select(accuracy => accuracy.ToString("P1")))}: the task should need gated memory");
    }

    [Fact]
    public void OnlyTheFirstStepCarriesTheClass()
    {
        var (inputs, labels) = ClassifyTask.Batch(5, 8, new Generator(3));
        Assert.Equal(new Shape(5, 8, 3), inputs.Shape);
        for (int b = 0; b < 8; b++)
        {
            Assert.Equal(labels[b] == 1 ? 1 : -1, inputs[0, b, 0]);
            Assert.Equal(1, inputs[0, b, 2]);
            Assert.Equal(0, inputs[3, b, 2]);
        }
    }
}
