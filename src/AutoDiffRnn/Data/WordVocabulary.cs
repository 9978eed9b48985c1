using System.Text.Json;

namespace AutoDiffRnn.Data;

/// <summary>
/// A token vocabulary with the special tokens of sequence models: PAD (id 0), BOS (1), EOS (2), UNK (3), then the tokens in the order given.
/// Unknown tokens encode as UNK.
/// </summary>
public sealed class WordVocabulary
{
    /// <summary>The padding token (id 0).</summary>
    public const string Pad = "<pad>";

    /// <summary>The beginning-of-sequence token (id 1).</summary>
    public const string Bos = "<bos>";

    /// <summary>The end-of-sequence token (id 2).</summary>
    public const string Eos = "<eos>";

    /// <summary>The unknown-token token (id 3).</summary>
    public const string Unk = "<unk>";

    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);
    private readonly List<string> tokens = [];

    /// <summary>Creates a vocabulary of the special tokens followed by <paramref name="vocabulary"/> (duplicates ignored).</summary>
    public WordVocabulary(IEnumerable<string> vocabulary)
    {
        foreach (var token in new[] { Pad, Bos, Eos, Unk }.Concat(vocabulary))
            if (ids.TryAdd(token, tokens.Count)) tokens.Add(token);
    }

    /// <summary>
    /// The vocabulary of a corpus split on whitespace, most frequent first (ties by first appearance), keeping tokens seen at least
    /// <paramref name="minimumCount"/> times and at most <paramref name="maximumSize"/> of them.
    /// </summary>
    public static WordVocabulary FromTexts(IEnumerable<string> texts, int minimumCount = 1, int maximumSize = int.MaxValue)
    {
        var counts = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
        foreach (var token in texts.SelectMany(Tokenize))
            counts[token] = counts.TryGetValue(token, out var seen) ? (seen.Count + 1, seen.First) : (1, counts.Count);
        return new WordVocabulary(counts.Where(p => p.Value.Count >= minimumCount)
            .OrderByDescending(p => p.Value.Count).ThenBy(p => p.Value.First).Take(maximumSize).Select(p => p.Key));
    }

    /// <summary>Splits on whitespace.</summary>
    public static string[] Tokenize(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The number of tokens, special ones included.</summary>
    public int Count => tokens.Count;

    /// <summary>The tokens by id.</summary>
    public IReadOnlyList<string> Tokens => tokens;

    /// <summary>The id of a token (UNK's id if unknown).</summary>
    public int this[string token] => ids.TryGetValue(token, out int id) ? id : ids[Unk];

    /// <summary>The ids of a text's tokens, optionally framed by BOS and EOS.</summary>
    public int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        var result = new List<int>();
        if (addBos) result.Add(ids[Bos]);
        result.AddRange(Tokenize(text).Select(token => this[token]));
        if (addEos) result.Add(ids[Eos]);
        return result.ToArray();
    }

    /// <summary>The text of ids, skipping PAD, BOS and EOS (and stopping at the first EOS).</summary>
    public string Decode(IEnumerable<int> sequence)
    {
        var words = new List<string>();
        foreach (var id in sequence)
        {
            if (id < 0 || id >= Count) throw new ArgumentOutOfRangeException(nameof(sequence), $"vocabulary: id {id} is outside [0, {Count})");
            if (id == ids[Eos]) break;
            if (id == ids[Pad] || id == ids[Bos]) continue;
            words.Add(tokens[id]);
        }
        return string.Join(' ', words);
    }

    /// <summary>The tokens as a JSON array (special tokens included), in id order.</summary>
    public string ToJson() => JsonSerializer.Serialize(tokens);

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static WordVocabulary FromJson(string json)
    {
        var list = JsonSerializer.Deserialize<List<string>>(json) ?? throw new InvalidDataException("vocabulary: the JSON holds no array");
        if (list.Count < 4 || list[0] != Pad || list[1] != Bos || list[2] != Eos || list[3] != Unk)
            throw new InvalidDataException("vocabulary: the JSON does not start with the special tokens <pad> <bos> <eos> <unk>");
        return new WordVocabulary(list.Skip(4));
    }
}
