using AutoDiffRnn.Cli.Classify;

namespace AutoDiffRnn.Cli.Tests;

public class ClassifyTests
{
    [Fact]
    public void LstmRemembersTheFirstStepWhereATanhRnnDoesNot()
    {
        var lstm = ClassifyTask.Run(new ClassifyOptions { Model = "lstm" }, TextWriter.Null);
        var rnn = ClassifyTask.Run(new ClassifyOptions { Model = "rnn" }, TextWriter.Null);
        Assert.True(lstm.Accuracy > 0.95, $"LSTM accuracy {lstm.Accuracy:P1}");
        Assert.True(rnn.Accuracy < 0.75, $"tanh RNN accuracy {rnn.Accuracy:P1}: the task should need gated memory");
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
