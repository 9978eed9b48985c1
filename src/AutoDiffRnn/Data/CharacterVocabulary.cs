using System.Text.Json;

namespace AutoDiffRnn.Data;

/// <summary>
/// A character-level vocabulary: the distinct characters of a text, sorted, each with an id. Unknown characters fail loudly
/// when encoding (a character model never silently drops input).
/// </summary>
public sealed class CharacterVocabulary
{
    private readonly Dictionary<char, int> ids;

    /// <summary>Creates a vocabulary of the given characters, in order (duplicates are an error).</summary>
    public CharacterVocabulary(IEnumerable<char> characters)
    {
        Characters = characters.ToArray();
        ids = new Dictionary<char, int>();
        for (int i = 0; i < Characters.Count; i++)
            if (!ids.TryAdd(Characters[i], i))
                throw new ArgumentException($"vocabulary: the character {Describe(Characters[i])} appears twice");
        if (Characters.Count == 0) throw new ArgumentException("vocabulary: no characters");
    }

    /// <summary>The vocabulary of the distinct characters of <paramref name="text"/>, sorted by code point.</summary>
    public static CharacterVocabulary FromText(string text) => new(text.Distinct().Order());

    /// <summary>The characters, by id.</summary>
    public IReadOnlyList<char> Characters { get; }

    /// <summary>The number of characters.</summary>
    public int Count => Characters.Count;

    /// <summary>The id of each character of <paramref name="text"/>.</summary>
    public int[] Encode(string text)
    {
        var result = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
            result[i] = ids.TryGetValue(text[i], out int id)
                ? id
                : throw new ArgumentException($"vocabulary: the character {Describe(text[i])} at position {i} is not in the vocabulary");
        return result;
    }

    /// <summary>The text of a sequence of ids.</summary>
    public string Decode(IEnumerable<int> sequence) =>
        new(sequence.Select(id => id >= 0 && id < Count ? Characters[id] : throw new ArgumentOutOfRangeException(nameof(sequence), $"vocabulary: id {id} is outside [0, {Count})")).ToArray());

    /// <summary>One-hot rows [length, Count] for a sequence of ids.</summary>
    public Tensor OneHot(int[] sequence, DType dtype = DType.Float32)
    {
        var values = new double[sequence.Length * Count];
        for (int i = 0; i < sequence.Length; i++) values[i * Count + sequence[i]] = 1;
        return Tensor.FromArray(values, new Shape(sequence.Length, Count), dtype);
    }

    /// <summary>The vocabulary as JSON (a string of its characters in id order).</summary>
    public string ToJson() => JsonSerializer.Serialize(new string(Characters.ToArray()));

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static CharacterVocabulary FromJson(string json) =>
        new(JsonSerializer.Deserialize<string>(json) ?? throw new InvalidDataException("vocabulary: the JSON holds no string"));

    private static string Describe(char c) => char.IsControl(c) ? $"U+{(int)c:X4}" : $"'{c}'";
}
