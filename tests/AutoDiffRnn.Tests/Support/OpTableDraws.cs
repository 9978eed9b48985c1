using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Tests.Support;

/// <summary>Theory data over the op table (<see cref="OpTable"/>): every row with a number of seeded draws, and a row's draw.</summary>
public static class OpTableDraws
{
    /// <summary>(row name, draw index) for every row of the table, <paramref name="drawsPerRow"/> draws each.</summary>
    public static TheoryData<string, int> Of(int drawsPerRow)
    {
        var data = new TheoryData<string, int>();
        foreach (var row in OpTable.Rows())
            for (int draw = 0; draw < drawsPerRow; draw++)
                data.Add(row.Name, draw);
        return data;
    }

    /// <summary>The row named <paramref name="row"/>.</summary>
    public static OpSpec Row(string row) => OpTable.Rows().Single(spec => spec.Name == row);

    /// <summary>Draw <paramref name="draw"/> of the row, from the row's seed plus <paramref name="seedStride"/> per draw (each test
    /// keeps its own stride, so two tests draw different samples).</summary>
    public static OpSample Sample(OpSpec spec, int draw, int seedStride) =>
        spec.Draw.Invoke(new Random(OpSpecModule.SeedOf(spec.Name) + seedStride * draw));
}
