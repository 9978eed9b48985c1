using System.Globalization;
using AutoDiffRnn.Data;

namespace AutoDiffRnn.Cli.Seq2Seq;

/// <summary>
/// The generated translation task of <c>train seq2seq</c>: a date written one of eight human ways ("march 3 2021",
/// "tuesday, march 3, 2021", "the 3rd of march 2021", "03/03/2021", ...) becomes its ISO form "2021-03-03", character by character.
/// Sources are 8 to 30 characters long and the fields move (the year goes first), so the decoder must find each digit in the source.
/// Dates from 1950 to 2049; every 13th day (by day number) is held out of training and only used for evaluation.
/// </summary>
public static class DateTranslation
{
    private static readonly string[] Months = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[..12].Select(m => m.ToLowerInvariant()).ToArray();
    private static readonly DateOnly First = new(1950, 1, 1), Last = new(2049, 12, 31);

    /// <summary>The number of source formats.</summary>
    public const int FormatCount = 8;

    /// <summary>One vocabulary for sources and targets: PAD, BOS, EOS, UNK, then lowercase letters, digits, space and , / . -</summary>
    public static WordVocabulary Vocabulary { get; } =
        new("abcdefghijklmnopqrstuvwxyz0123456789 ,/.-".Select(c => c.ToString()));

    /// <summary>Encodes a string character by character.</summary>
    public static int[] Encode(string text) => text.Select(c => Vocabulary[c.ToString()]).ToArray();

    /// <summary>Decodes token ids (special tokens are skipped).</summary>
    public static string Decode(IEnumerable<int> ids) => string.Concat(ids.Where(id => id > 3).Select(id => Vocabulary.Tokens[id]));

    /// <summary>True for the dates reserved for evaluation.</summary>
    public static bool IsHeldOut(DateOnly date) => date.DayNumber % 13 == 0;

    /// <summary>The date written in format <paramref name="format"/> (0 … <see cref="FormatCount"/> − 1).</summary>
    public static string Write(DateOnly date, int format)
    {
        string month = Months[date.Month - 1], day = date.Day.ToString(CultureInfo.InvariantCulture), year = date.Year.ToString(CultureInfo.InvariantCulture);
        return format switch
        {
            0 => $"{month} {day} {year}",
            1 => $"{day} {month} {year}",
            2 => $"{month[..3]} {day}, {year}",
            3 => $"{date.Month:00}/{date.Day:00}/{year}",
            4 => $"{day}.{date.Month}.{year}",
            5 => $"{date.DayOfWeek.ToString().ToLowerInvariant()}, {month} {day}, {year}",
            6 => $"the {day}{Suffix(date.Day)} of {month} {year}",
            7 => $"{day} {month[..3]} {year[2..]}",
            _ => throw new ArgumentOutOfRangeException(nameof(format), $"date format {format} is outside 0..{FormatCount - 1}"),
        };
    }

    /// <summary>The ISO form yyyy-mm-dd.</summary>
    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Suffix(int day) => day switch { 1 or 21 or 31 => "st", 2 or 22 => "nd", 3 or 23 => "rd", _ => "th" };

    /// <summary>A random date of the training part (<paramref name="heldOut"/> false) or the evaluation part, with a random format.</summary>
    public static (string Source, string Target) Sample(Generator generator, bool heldOut)
    {
        int span = Last.DayNumber - First.DayNumber + 1;
        while (true)
        {
            var date = DateOnly.FromDayNumber(First.DayNumber + generator.NextInt(span));
            if (IsHeldOut(date) != heldOut) continue;
            return (Write(date, generator.NextInt(FormatCount)), Iso(date));
        }
    }

    /// <summary>A batch of encoded (source, target) pairs.</summary>
    public static (int[][] Sources, int[][] Targets) Batch(int size, Generator generator, bool heldOut)
    {
        var pairs = Enumerable.Range(0, size).Select(_ => Sample(generator, heldOut)).ToArray();
        return (pairs.Select(p => Encode(p.Source)).ToArray(), pairs.Select(p => Encode(p.Target)).ToArray());
    }
}
