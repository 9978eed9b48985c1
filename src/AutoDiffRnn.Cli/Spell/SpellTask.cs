using System.Diagnostics;
using AutoDiffRnn.Data;
using AutoDiffRnn.Nn.Seq2Seq;
using AutoDiffRnn.Optim;

namespace AutoDiffRnn.Cli.Spell;

/// <summary>What <c>train spell</c> reports.</summary>
/// <param name="Classes">The number of classes (numbers 0..99).</param>
/// <param name="GreedyExactMatch">The fraction of classes whose name greedy generation spells exactly.</param>
/// <param name="BeamExactMatch">The same with beam search.</param>
/// <param name="FinalLoss">The last training loss.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="Examples">A few generated names.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record SpellMetrics(int Classes, double GreedyExactMatch, double BeamExactMatch, double FinalLoss, int Steps, string[] Examples, double Seconds);

/// <summary>
/// <c>train spell</c>: one-to-many generation. The condition is a fixed 20-value vector for a number 0..99 (a one-hot of its tens digit
/// and a one-hot of its units digit, standing in for image features or a class embedding); a <see cref="ConditionedSequenceGenerator"/>
/// starts its LSTM from it and spells the number's English name character by character ("forty two", "seventeen").
/// </summary>
public static class SpellTask
{
    private static readonly string[] Units = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    /// <summary>The characters (PAD, BOS, EOS, UNK first).</summary>
    public static WordVocabulary Vocabulary { get; } = new("abcdefghijklmnopqrstuvwxyz ".Select(c => c.ToString()));

    /// <summary>The English name of 0..99.</summary>
    public static string Name(int number) =>
        number < 20 ? Units[number] : Tens[number / 10] + (number % 10 == 0 ? "" : " " + Units[number % 10]);

    /// <summary>The condition vectors (B, 20) of the given numbers.</summary>
    public static Tensor Conditions(int[] numbers)
    {
        var values = new double[numbers.Length * 20];
        for (int i = 0; i < numbers.Length; i++)
        {
            values[i * 20 + numbers[i] / 10] = 1;
            values[i * 20 + 10 + numbers[i] % 10] = 1;
        }
        return Tensor.FromArray(values, new Shape(numbers.Length, 20), DType.Float32);
    }

    /// <summary>The character ids of a number's name.</summary>
    public static int[] Encode(int number) => Name(number).Select(c => Vocabulary[c.ToString()]).ToArray();

    /// <summary>Trains and evaluates on every class.</summary>
    public static SpellMetrics Run(SpellOptions options, TextWriter log)
    {
        var watch = Stopwatch.StartNew();
        var generator = new Generator(options.Seed);
        var model = new ConditionedSequenceGenerator(20, Vocabulary.Count, options.EmbeddingSize, options.HiddenSize, generator: generator);
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        double loss = double.NaN;
        for (int step = 1; step <= options.Steps; step++)
        {
            var numbers = Enumerable.Range(0, options.BatchSize).Select(_ => generator.NextInt(100)).ToArray();
            optimizer.ZeroGrad();
            var value = model.Loss(Conditions(numbers), numbers.Select(Encode).ToArray());
            value.Backward();
            GradientClipping.ClipGradNorm(model.NamedParameters(), 5);
            optimizer.Step();
            loss = value.ToScalar();
            if (step % 100 == 0) log.WriteLine($"step {step}/{options.Steps}: loss {loss:F4}");
        }
        model.Eval();
        var all = Enumerable.Range(0, 100).ToArray();
        var greedy = model.Greedy(Conditions(all), 20);
        var beam = model.BeamSearch(Conditions(all), new BeamSearchOptions(options.BeamWidth, 20));
        string Spelled(DecodedSequence sequence) => string.Concat(sequence.Tokens.Where(id => id > 3).Select(id => Vocabulary.Tokens[id]));
        double Match(DecodedSequence[] decoded) => all.Count(n => decoded[n].Finished && Spelled(decoded[n]) == Name(n)) / 100.0;
        var metrics = new SpellMetrics(100, Match(greedy), Match(beam), loss, options.Steps,
            [.. new[] { 7, 13, 42, 90, 99 }.Select(n => $"{n} -> {Spelled(greedy[n])}")], watch.Elapsed.TotalSeconds);
        options.WriteMetrics(metrics);
        return metrics;
    }
}
