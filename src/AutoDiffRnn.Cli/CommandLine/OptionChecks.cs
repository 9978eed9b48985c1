using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;

namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>
/// Checks attached to options: each runs while the command line is parsed and, when it fails, becomes a parse error naming the
/// option and the value (exit code 2), before any command runs.
/// </summary>
public static class OptionChecks
{
    /// <summary>The value must be at least <paramref name="minimum"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum) => option.Check(value =>
        value >= minimum ? null : $"must be at least {minimum}, got {Format(value)}");

    /// <summary>The value must be at most <paramref name="maximum"/> (<paramref name="why"/> says why).</summary>
    public static Option<int> AtMost(this Option<int> option, int maximum, string why) => option.Check(value =>
        value <= maximum ? null : $"must be at most {maximum} ({why}), got {Format(value)}");

    /// <summary>The value must be a finite number above zero.</summary>
    public static Option<double> PositiveAndFinite(this Option<double> option) => option.Check(value =>
        value > 0 && double.IsFinite(value) ? null : $"must be a finite number above 0, got {Format(value)}");

    /// <summary>The value must be a finite number, zero or above.</summary>
    public static Option<double> NonNegativeAndFinite(this Option<double> option) => option.Check(value =>
        value >= 0 && double.IsFinite(value) ? null : $"must be a finite number, 0 or above, got {Format(value)}");

    /// <summary>The value must lie in [<paramref name="low"/>, <paramref name="high"/>] (or [low, high) when <paramref name="highIncluded"/> is false).</summary>
    public static Option<double> InRange(this Option<double> option, double low, double high, bool highIncluded = true) => option.Check(value =>
        value >= low && (highIncluded ? value <= high : value < high) ? null : $"must be in [{low}, {high}{(highIncluded ? "]" : ")")}, got {Format(value)}");

    /// <summary>The value must not be empty.</summary>
    public static Option<string> NotEmpty(this Option<string> option) => option.Check(value =>
        string.IsNullOrEmpty(value) ? "must not be empty" : null);

    /// <summary>The value, if given, must be an existing file (not a folder).</summary>
    public static Option<string?> ExistingFile(this Option<string?> option) => option.Check(path =>
        path is null ? null
        : Directory.Exists(path) ? $"'{path}' is a folder, not a file"
        : !File.Exists(path) ? $"the file '{path}' does not exist"
        : null);

    /// <summary>
    /// The value, if given, must be an existing file of text: valid UTF-8 with no NUL or other control characters besides tab, line feed,
    /// carriage return and form feed (so an executable or an image is refused), and at least two characters.
    /// </summary>
    public static Option<string?> TextFile(this Option<string?> option) => option.ExistingFile().Check(path =>
        path is null || !File.Exists(path) ? null : TextProblem(path));

    /// <summary>The value, if given, must be an existing folder (not a file).</summary>
    public static Option<T> ExistingFolder<T>(this Option<T> option) where T : class? => option.Check(value =>
        value is not string path ? null
        : File.Exists(path) ? $"'{path}' is a file, not a folder"
        : !Directory.Exists(path) ? $"the folder '{path}' does not exist"
        : null);

    /// <summary>The value, if given, must be a checkpoint folder: an existing folder holding checkpoint.json.</summary>
    public static Option<T> CheckpointFolder<T>(this Option<T> option) where T : class? => option.ExistingFolder().Check(value =>
        value is string path && Directory.Exists(path) && !File.Exists(Path.Combine(path, "checkpoint.json"))
            ? $"'{path}' is not a checkpoint folder (it holds no checkpoint.json)"
            : null);

    /// <summary>The value must not name an existing file (it is a folder to write into; missing folders are created).</summary>
    public static Option<string> WritableFolder(this Option<string> option) => option.Check(path =>
        string.IsNullOrEmpty(path) ? "must not be empty"
        : File.Exists(path) ? $"'{path}' is a file; give a folder to write into"
        : null);

    /// <summary>The value, if given, must not name an existing folder (it is a file to write).</summary>
    public static Option<string?> WritableFile(this Option<string?> option) => option.Check(path =>
        path is null ? null
        : path.Length == 0 ? "must not be empty"
        : Directory.Exists(path) ? $"'{path}' is a folder; give a file name to write"
        : null);

    /// <summary>Adds a check: <paramref name="problem"/> returns null when the value is fine, else what is wrong with it.</summary>
    public static Option<T> Check<T>(this Option<T> option, Func<T, string?> problem)
    {
        option.Validators.Add(result =>
        {
            T value;
            try { value = result.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; } // the value did not even parse: the parser reports that
            if (problem(value) is string message)
                result.AddError($"{option.Name}: {message}");
        });
        return option;
    }

    private static string Format(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What makes a file unusable as a text corpus, or null.</summary>
    public static string? TextProblem(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"cannot read '{path}': {e.Message}"; }
        string text;
        try { text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException e) { return $"'{path}' is not UTF-8 text (invalid byte at offset {e.Index}); give a text file"; }
        for (int i = 0; i < text.Length; i++)
            if (char.IsControl(text[i]) && text[i] is not ('\t' or '\n' or '\r' or '\f'))
                return $"'{path}' is not text (control character U+{(int)text[i]:X4} at character {i}); give a text file";
        return text.Length < 2 ? $"'{path}' holds {text.Length} characters; a corpus needs at least two" : null;
    }
}
