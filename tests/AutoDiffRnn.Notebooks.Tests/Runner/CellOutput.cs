using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AutoDiffRnn.Notebooks.Runner.Api;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>The kind of a cell output, as nbformat names them.</summary>
public enum CellOutputKind
{
    /// <summary>Text the cell wrote to the console (nbformat <c>stream</c>).</summary>
    Stream,

    /// <summary>A value passed to <c>display(...)</c> (nbformat <c>display_data</c>).</summary>
    DisplayData,

    /// <summary>The value of the cell's last expression (nbformat <c>execute_result</c>).</summary>
    ExecuteResult,

    /// <summary>The error that stopped the cell (nbformat <c>error</c>).</summary>
    Error,
}

/// <summary>
/// One output of a cell: its kind, its MIME type (<c>text/plain</c>, <c>text/html</c> or <c>image/png</c>) and content.
/// </summary>
/// <param name="Kind">What produced it.</param>
/// <param name="MimeType">The MIME type of <see cref="Text"/> or <see cref="Bytes"/>.</param>
/// <param name="Text">The text (for image/png, a short description).</param>
/// <param name="Bytes">The PNG bytes of an image, else null.</param>
public sealed record CellOutput(CellOutputKind Kind, string MimeType, string Text, byte[]? Bytes = null)
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The display output for a value (see <see cref="NotebookDisplay.display"/> for the rules).</summary>
    public static CellOutput Describe(object? value, CellOutputKind kind = CellOutputKind.DisplayData)
    {
        switch (value)
        {
            case byte[] bytes when bytes.AsSpan().StartsWith(PngSignature):
                return new CellOutput(kind, "image/png", $"<PNG image, {bytes.Length} bytes>", bytes);
            case string path when path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && File.Exists(path):
                return Describe(File.ReadAllBytes(path), kind);
            case FileInfo file when file.Extension.Equals(".png", StringComparison.OrdinalIgnoreCase) && file.Exists:
                return Describe(File.ReadAllBytes(file.FullName), kind);
            case HtmlContent html:
                return new CellOutput(kind, "text/html", html.Html);
            default:
                return new CellOutput(kind, "text/plain", Format(value));
        }
    }

    /// <summary>The text of a value: its ToString, or the items of a collection (that has no ToString of its own) in brackets.</summary>
    public static string Format(object? value) => value switch
    {
        null => "<null>",
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IDictionary dictionary => "{" + string.Join(", ", dictionary.Cast<DictionaryEntry>().Select(entry => $"{Format(entry.Key)}: {Format(entry.Value)}")) + "}",
        IEnumerable items when value.GetType().GetMethod("ToString", Type.EmptyTypes)?.DeclaringType == typeof(object) =>
            "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",
        _ => value.ToString() ?? "",
    };

    /// <summary>The output as an nbformat 4 output object.</summary>
    public JsonObject ToJson(int executionCount)
    {
        if (Kind == CellOutputKind.Stream)
            return new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = Lines(Text) };
        if (Kind == CellOutputKind.Error)
        {
            int colon = Text.IndexOf(':');
            return new JsonObject
            {
                ["output_type"] = "error",
                ["ename"] = colon > 0 ? Text[..colon] : "Error",
                ["evalue"] = colon > 0 ? Text[(colon + 1)..].Split('\n')[0].Trim() : Text,
                ["traceback"] = new JsonArray(Text.Split('\n').Select(line => (JsonNode?)JsonValue.Create(line)).ToArray()),
            };
        }
        JsonNode data = Bytes is null ? Lines(Text) : JsonValue.Create(Convert.ToBase64String(Bytes));
        var output = new JsonObject
        {
            ["output_type"] = Kind == CellOutputKind.ExecuteResult ? "execute_result" : "display_data",
            ["data"] = new JsonObject { [MimeType] = data },
            ["metadata"] = new JsonObject(),
        };
        if (Kind == CellOutputKind.ExecuteResult) output["execution_count"] = executionCount;
        return output;
    }

    /// <summary>nbformat's multi-line string: an array of lines, each but the last ending with its newline.</summary>
    private static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end + 1;
            lines.Add(text[start..end]);
            start = end;
        }
        return lines;
    }
}

/// <summary>
/// Collects the outputs of the running cell in order: console text (through <see cref="Console"/>, redirected to
/// <see cref="ConsoleWriter"/> while the cell runs) and displayed values. <see cref="Current"/> flows with the cell's
/// execution context, so <c>display(...)</c> finds the cell it belongs to, also after an <c>await</c>.
/// </summary>
public sealed class CellOutputCollector
{
    private static readonly AsyncLocal<CellOutputCollector?> current = new();
    private readonly List<CellOutput> outputs = [];
    private readonly StringBuilder pendingText = new();
    private readonly object gate = new();

    /// <summary>Creates a collector whose console writer feeds it.</summary>
    public CellOutputCollector() => ConsoleWriter = new CollectingWriter(this);

    /// <summary>The collector of the cell running in this execution context, or null outside the runner.</summary>
    public static CellOutputCollector? Current
    {
        get => current.Value;
        set => current.Value = value;
    }

    /// <summary>A writer that records text as stream output of this cell.</summary>
    public TextWriter ConsoleWriter { get; }

    /// <summary>Records an output after any console text written before it.</summary>
    public void Add(CellOutput output)
    {
        lock (gate)
        {
            FlushText();
            outputs.Add(output);
        }
    }

    /// <summary>The outputs recorded so far, console text included.</summary>
    public IReadOnlyList<CellOutput> Outputs
    {
        get
        {
            lock (gate)
            {
                FlushText();
                return outputs.ToArray();
            }
        }
    }

    private void FlushText()
    {
        if (pendingText.Length == 0) return;
        outputs.Add(new CellOutput(CellOutputKind.Stream, "text/plain", pendingText.ToString()));
        pendingText.Clear();
    }

    private sealed class CollectingWriter(CellOutputCollector collector) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (collector.gate) collector.pendingText.Append(value);
        }

        public override void Write(string? value)
        {
            lock (collector.gate) collector.pendingText.Append(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (collector.gate) collector.pendingText.Append(buffer, index, count);
        }
    }
}
