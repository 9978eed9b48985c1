using AutoDiffRnn.Data;

namespace AutoDiffRnn.Cli.Tagger;

/// <summary>
/// The generated grammar of <c>train tagger</c>: sentences such as "the old duck can watch a red book in the park" with a
/// part-of-speech tag per word. Eight words (book, watch, fly, duck, saw, run, play, walk) are nouns or verbs depending on context:
/// after a determiner or adjective they are nouns, after a modal verbs, and at the start of a clause the next word decides (a
/// determiner follows an imperative verb, a verb follows a bare-noun subject), so the first word's tag needs the right context that
/// a bidirectional encoder reads. Clauses may be joined with "and". Every sentence has exactly one tagging.
/// </summary>
public static class TaggingGrammar
{
    /// <summary>The tags, by id.</summary>
    public static IReadOnlyList<string> Tags { get; } = ["DET", "ADJ", "NOUN", "VERB", "MODAL", "PREP", "PRON", "ADV", "CONJ"];

    private static readonly string[] Determiners = ["the", "a", "every", "some", "this"];
    private static readonly string[] Adjectives = ["big", "small", "red", "old", "happy", "quick"];
    private static readonly string[] Nouns = ["dog", "cat", "man", "woman", "bird", "child", "teacher", "park", "house", "table"];
    private static readonly string[] Verbs = ["sees", "likes", "chases", "finds", "eats", "wants"];
    private static readonly string[] Ambiguous = ["book", "watch", "fly", "duck", "saw", "run", "play", "walk"];
    private static readonly string[] Modals = ["can", "will", "must"];
    private static readonly string[] Prepositions = ["in", "on", "near", "with"];
    private static readonly string[] Pronouns = ["she", "he", "they", "we"];
    private static readonly string[] Adverbs = ["quickly", "often", "today"];

    /// <summary>The words (PAD, BOS, EOS, UNK first).</summary>
    public static WordVocabulary Vocabulary { get; } = new(Determiners.Concat(Adjectives).Concat(Nouns).Concat(Verbs).Concat(Ambiguous)
        .Concat(Modals).Concat(Prepositions).Concat(Pronouns).Concat(Adverbs).Append("and"));

    /// <summary>The number of words that are nouns or verbs by context.</summary>
    public static IReadOnlyList<string> AmbiguousWords => Ambiguous;

    /// <summary>A random sentence as (word, tag) pairs.</summary>
    public static List<(string Word, string Tag)> Sentence(Generator generator)
    {
        var words = new List<(string, string)>();
        Clause(words, generator);
        if (generator.NextDouble() < 0.3)
        {
            words.Add(("and", "CONJ"));
            Clause(words, generator);
        }
        return words;
    }

    /// <summary>A batch of encoded sentences and their tag ids.</summary>
    public static (int[][] Sentences, int[][] Tags) Batch(int size, Generator generator)
    {
        var sentences = Enumerable.Range(0, size).Select(_ => Sentence(generator)).ToArray();
        return (sentences.Select(s => s.Select(p => Vocabulary[p.Word]).ToArray()).ToArray(),
                sentences.Select(s => s.Select(p => Tags.ToList().IndexOf(p.Tag)).ToArray()).ToArray());
    }

    private static string Pick(string[] words, Generator generator) => words[generator.NextInt(words.Length)];

    private static void Clause(List<(string, string)> words, Generator generator)
    {
        if (generator.NextDouble() < 0.25)
        {
            words.Add((Pick(Ambiguous, generator), "VERB"));            // imperative: "watch the dog"
            NounPhrase(words, generator, determiner: true);
        }
        else
        {
            double subject = generator.NextDouble();
            if (subject < 0.25) words.Add((Pick(Pronouns, generator), "PRON"));
            else if (subject < 0.5) words.Add((Pick(generator.NextDouble() < 0.5 ? Ambiguous : Nouns, generator), "NOUN")); // bare noun
            else NounPhrase(words, generator, determiner: true);
            VerbPhrase(words, generator);
        }
        if (generator.NextDouble() < 0.3)
        {
            words.Add((Pick(Prepositions, generator), "PREP"));
            NounPhrase(words, generator, determiner: true);
        }
        if (generator.NextDouble() < 0.15) words.Add((Pick(Adverbs, generator), "ADV"));
    }

    private static void NounPhrase(List<(string, string)> words, Generator generator, bool determiner)
    {
        if (determiner) words.Add((Pick(Determiners, generator), "DET"));
        for (int i = 0; i < 2 && generator.NextDouble() < 0.35; i++) words.Add((Pick(Adjectives, generator), "ADJ"));
        words.Add((Pick(generator.NextDouble() < 0.5 ? Ambiguous : Nouns, generator), "NOUN"));
    }

    private static void VerbPhrase(List<(string, string)> words, Generator generator)
    {
        if (generator.NextDouble() < 0.5)
        {
            words.Add((Pick(Verbs, generator), "VERB"));
            NounPhrase(words, generator, determiner: true);
        }
        else
        {
            words.Add((Pick(Modals, generator), "MODAL"));
            words.Add((Pick(Ambiguous, generator), "VERB"));
            if (generator.NextDouble() < 0.6) NounPhrase(words, generator, determiner: true);
        }
    }
}
