using AutoDiffRnn.Autodiff;
using AutoDiffRnn.Data;

namespace AutoDiffRnn.Cli.CharRnn;

/// <summary>Generates text from a character model, one character at a time.</summary>
public static class Sampler
{
    /// <summary>
    /// Feeds <paramref name="prime"/>, then samples <paramref name="length"/> characters from softmax(logits / temperature)
    /// (temperature 0 takes the most likely character).
    /// </summary>
    public static string Sample(CharLanguageModel model, CharacterVocabulary vocabulary, string prime, int length, double temperature, Generator generator)
    {
        if (prime.Length == 0) throw new ArgumentException("sample: the prime text must not be empty");
        if (temperature < 0) throw new ArgumentOutOfRangeException(nameof(temperature), $"sample: temperature must be >= 0, got {temperature}");
        using var _ = GradMode.NoGrad();
        var (logits, state) = model.Forward(vocabulary.Encode(prime), prime.Length, 1);
        var last = logits.Select(0, prime.Length - 1).Select(0, 0);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < length; i++)
        {
            int next = Choose(last, temperature, generator);
            text.Append(vocabulary.Characters[next]);
            (logits, state) = model.Forward([next], 1, 1, state.Hidden, state.Cell);
            last = logits.Select(0, 0).Select(0, 0);
        }
        return text.ToString();
    }

    internal static int Choose(Tensor logits, double temperature, Generator generator)
    {
        if (temperature == 0) return logits.ArgMax(0)[0];
        var probabilities = (logits * (1 / temperature)).Softmax(0).ToDoubleArray();
        double u = generator.NextDouble(), total = 0;
        for (int i = 0; i < probabilities.Length; i++)
            if ((total += probabilities[i]) > u) return i;
        return probabilities.Length - 1;
    }
}
