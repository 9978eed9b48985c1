using System.Diagnostics;
using AutoDiffRnn.Notebooks.Runner.Api;

namespace AutoDiffRnn.Notebooks.Runner;

/// <summary>What one code cell produced.</summary>
/// <param name="Cell">The cell.</param>
/// <param name="ExecutionCount">Its execution count (1 for the first code cell, and so on).</param>
/// <param name="Outputs">Console text, displayed values, the last expression's value and any error, in order.</param>
/// <param name="Elapsed">How long the cell took.</param>
public sealed record CellRun(NotebookCell Cell, int ExecutionCount, IReadOnlyList<CellOutput> Outputs, TimeSpan Elapsed);

/// <summary>A notebook that ran to the end.</summary>
/// <param name="Notebook">The notebook.</param>
/// <param name="Cells">Every code cell's run, in order.</param>
/// <param name="Elapsed">The wall time of the whole run.</param>
/// <param name="ExecutedPath">Where the notebook with outputs was written, or null.</param>
public sealed record NotebookRun(NotebookFile Notebook, IReadOnlyList<CellRun> Cells, TimeSpan Elapsed, string? ExecutedPath);

/// <summary>A cell of a notebook failed: it threw, did not compile, or used a directive the runner cannot honour.</summary>
public sealed class NotebookCellFailedException : Exception
{
    /// <summary>Creates the exception; the message names the notebook, the cell, its first line and the error.</summary>
    public NotebookCellFailedException(string notebookName, NotebookCell cell, int codeCellNumber, string kernel, string error, string? executedPath)
        : base($"notebook {notebookName}: cell {cell.Number} (code cell {codeCellNumber}, {kernel}) failed; its first line: {cell.FirstLine}\n" +
               error + (executedPath is null ? "" : $"\n(the notebook with the outputs up to this cell: {executedPath})"))
    {
        NotebookName = notebookName;
        CellNumber = cell.Number;
        CodeCellNumber = codeCellNumber;
        FirstLine = cell.FirstLine;
        Kernel = kernel;
        Error = error;
    }

    /// <summary>The notebook's file name.</summary>
    public string NotebookName { get; }

    /// <summary>The one-based number of the failing cell among all cells.</summary>
    public int CellNumber { get; }

    /// <summary>The one-based number of the failing cell among code cells.</summary>
    public int CodeCellNumber { get; }

    /// <summary>The first non-blank line of the failing cell.</summary>
    public string FirstLine { get; }

    /// <summary>The kernel the cell ran in.</summary>
    public string Kernel { get; }

    /// <summary>The compiler diagnostics or the exception, as text.</summary>
    public string Error { get; }
}

/// <summary>
/// Runs a Polyglot notebook headlessly, as VS Code's "Run All" would: code cells in order, one session per kernel per
/// notebook (C#: <see cref="CSharpKernel"/>, F#: <see cref="FSharpKernel"/>; a notebook may mix them but values are not
/// shared between languages), with the notebook's folder as the current directory. Directives are handled as
/// <see cref="CellSource"/> and <see cref="PackageResolver"/> describe. The first failing cell stops the run with a
/// <see cref="NotebookCellFailedException"/>. When an output folder is given, the notebook is written there with its
/// outputs (also when a cell fails, up to that cell).
/// </summary>
/// <remarks>Runs redirect <see cref="Console.Out"/> and the current directory of the process: run one notebook at a time.</remarks>
public sealed class NotebookRunner(PackageResolver? resolver = null, string? executedFolder = null)
{
    private readonly PackageResolver resolver = resolver ?? new PackageResolver();

    /// <summary>Runs the notebook at <paramref name="path"/>; throws <see cref="NotebookCellFailedException"/> at the first failing cell.</summary>
    public async Task<NotebookRun> RunAsync(string path)
    {
        var notebook = NotebookFile.Load(path);
        var watch = Stopwatch.StartNew();
        var kernels = new Dictionary<string, INotebookKernel>();
        var packageSources = new List<string>();
        var runs = new List<CellRun>();
        string? executedPath = executedFolder is null ? null : Path.Combine(executedFolder, notebook.Name);
        var previousOut = Console.Out;
        string previousDirectory = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = notebook.Folder;
            int codeCellNumber = 0;
            foreach (var cell in notebook.Cells.Where(cell => cell.CellType == "code"))
            {
                codeCellNumber++;
                var cellWatch = Stopwatch.StartNew();
                var collector = new CellOutputCollector();
                string? failure = null;
                string kernelName = cell.Kernel ?? "no kernel";
                CellOutputCollector.Current = collector;
                Console.SetOut(collector.ConsoleWriter);
                try
                {
                    foreach (var segment in CellSource.Split(cell.Source, cell.Kernel, notebook.Folder))
                    {
                        kernelName = segment.Kernel;
                        packageSources.AddRange(segment.PackageSources);
                        var kernel = KernelFor(segment.Kernel, notebook, kernels);
                        foreach (var package in segment.Packages)
                            kernel.AddReferences(resolver.Resolve(package, packageSources));
                        if (segment.AssemblyPaths.Count > 0)
                            kernel.AddReferences(segment.AssemblyPaths.Select(assemblyPath => new ResolvedAssembly(assemblyPath, null)).ToArray());
                        if (!segment.HasCode) continue;
                        var result = await kernel.ExecuteAsync(segment.Code, $"{notebook.Name} cell {cell.Number}");
                        if (!result.Succeeded)
                        {
                            failure = result.Error;
                            break;
                        }
                        if (result.ReturnValue is not null)
                            collector.Add(CellOutput.Describe(result.ReturnValue, CellOutputKind.ExecuteResult));
                    }
                }
                catch (Exception error) when (error is NotSupportedException or FileNotFoundException or InvalidOperationException)
                {
                    failure = error.Message;
                }
                catch (Exception error)
                {
                    failure = error.ToString();
                }
                finally
                {
                    Console.SetOut(previousOut);
                    CellOutputCollector.Current = null;
                }

                var outputs = collector.Outputs.ToList();
                if (failure is not null) outputs.Add(new CellOutput(CellOutputKind.Error, "text/plain", failure));
                runs.Add(new CellRun(cell, codeCellNumber, outputs, cellWatch.Elapsed));
                if (failure is not null)
                {
                    executedPath = WriteExecuted(notebook, runs, executedPath);
                    throw new NotebookCellFailedException(notebook.Name, cell, codeCellNumber, kernelName, failure, executedPath);
                }
            }
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.CurrentDirectory = previousDirectory;
            foreach (var kernel in kernels.Values) kernel.Dispose();
        }
        return new NotebookRun(notebook, runs, watch.Elapsed, WriteExecuted(notebook, runs, executedPath));
    }

    private static string? WriteExecuted(NotebookFile notebook, IReadOnlyList<CellRun> runs, string? executedPath)
    {
        if (executedPath is null) return null;
        notebook.WriteExecuted(executedPath, runs);
        return executedPath;
    }

    private static INotebookKernel KernelFor(string name, NotebookFile notebook, Dictionary<string, INotebookKernel> kernels)
    {
        if (kernels.TryGetValue(name, out var kernel)) return kernel;
        kernel = name switch
        {
            KernelNames.CSharp => new CSharpKernel(notebook.Folder),
            KernelNames.FSharp => new FSharpKernel(),
            _ => throw new NotSupportedException(
                $"the kernel '{name}' is not supported by the headless notebook runner (it runs C# and F#: csharp, fsharp)"),
        };
        kernels.Add(name, kernel);
        return kernel;
    }
}
