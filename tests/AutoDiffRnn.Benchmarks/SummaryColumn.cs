using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiffRnn.Benchmarks;

/// <summary>
/// A dimensionless numeric summary column, always shown: the <see cref="IColumn"/> boilerplate once, so a column gives only its name,
/// place, legend and value.
/// </summary>
/// <param name="columnName">The header.</param>
/// <param name="category">The column group it is shown in.</param>
/// <param name="priorityInCategory">Its place in that group.</param>
/// <param name="legend">The line that explains it under the table.</param>
public abstract class SummaryColumn(string columnName, ColumnCategory category, int priorityInCategory, string legend) : IColumn
{
    /// <summary>The value shown for a case, or "-" when it has none.</summary>
    protected abstract string ValueOf(Summary summary, BenchmarkCase benchmarkCase);

    /// <inheritdoc/>
    public string Id => GetType().Name;

    /// <inheritdoc/>
    public string ColumnName => columnName;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => category;

    /// <inheritdoc/>
    public int PriorityInCategory => priorityInCategory;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => legend;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => ValueOf(summary, benchmarkCase);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => ValueOf(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public virtual bool IsAvailable(Summary summary) => true;
}
