using System.Text.Json.Nodes;

namespace AutoDiffRnn.Notebooks;

/// <summary>One cell of a committed notebook: its kind, source text and outputs.</summary>
public sealed record NotebookCell(int Number, string Kind, string Source, JsonArray Outputs, JsonNode Metadata)
{
    /// <summary>The MIME types of each output's data (stream and error outputs give their output_type instead).</summary>
    public IEnumerable<string> OutputKinds =>
        Outputs.SelectMany(o => o!["data"] is JsonObject data ? data.Select(d => d.Key) : [(string)o["output_type"]!]);
}

/// <summary>A committed .ipynb file read as JSON.</summary>
public sealed record NotebookDocument(string Name, JsonObject Json, IReadOnlyList<NotebookCell> Cells)
{
    /// <summary>Reads the notebook at <paramref name="path"/>.</summary>
    public static NotebookDocument Load(string path)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var cells = json["cells"]!.AsArray().Select((cell, index) => new NotebookCell(index + 1, (string)cell!["cell_type"]!, Text(cell["source"]),
            cell["outputs"] as JsonArray ?? [], cell["metadata"] ?? new JsonObject())).ToList();
        return new NotebookDocument(Path.GetFileName(path), json, cells);
    }

    /// <summary>A source or output text, stored either as one string or as a list of lines.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(line => (string?)line)),
        JsonValue value => (string?)value ?? "",
        _ => "",
    };
}
