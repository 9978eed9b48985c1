// The namespace cells see: the runner imports it (and the static members of NotebookDisplay) into every C# and F# session,
// as .NET Interactive makes display(...), x.Display() and HTML(...) available without a using.
namespace AutoDiffRnn.Notebooks.Runner.Api;

/// <summary>
/// The display functions of a notebook cell, with the names .NET Interactive gives them so that a notebook runs the same in
/// VS Code and in the headless runner: <c>display(value)</c>, <c>value.Display()</c>, <c>HTML("...")</c>.
/// </summary>
public static class NotebookDisplay
{
    /// <summary>
    /// Shows <paramref name="value"/> under the running cell: a <c>byte[]</c> holding a PNG, or the path of an existing
    /// <c>.png</c> file, becomes an image (image/png); an <see cref="HtmlContent"/> becomes HTML; anything else its text.
    /// Outside the runner it writes the text to the console.
    /// </summary>
    public static DisplayedValue display(object? value)
    {
        var output = CellOutput.Describe(value);
        var collector = CellOutputCollector.Current;
        if (collector is null) Console.WriteLine(output.Text);
        else collector.Add(output);
        return new DisplayedValue(output);
    }

    /// <summary>Marks a string as HTML for <see cref="display"/>, like .NET Interactive's <c>HTML(...)</c>.</summary>
    public static HtmlContent HTML(string html) => new(html);
}

/// <summary>Extension methods available to every cell.</summary>
public static class DisplayExtensions
{
    /// <summary>Displays the value under the running cell; see <see cref="NotebookDisplay.display"/>.</summary>
    public static DisplayedValue Display(this object? value) => NotebookDisplay.display(value);
}

/// <summary>A string of HTML to display as such.</summary>
/// <param name="Html">The markup.</param>
public sealed record HtmlContent(string Html)
{
    /// <inheritdoc />
    public override string ToString() => Html;
}

/// <summary>What <see cref="NotebookDisplay.display"/> returns: a handle on the output it recorded.</summary>
/// <param name="Output">The recorded output.</param>
public sealed record DisplayedValue(CellOutput Output);
