using System.CommandLine;
using AutoDiffRnn.FSharp;

namespace AutoDiffRnn.Cli.Verify;

/// <summary>
/// <c>verify</c>: runs the F# verification layer's catalogue — every differentiable op and the recurrent modules — through GradCheck
/// (finite differences, the forward-mode engine, the dot-product identity, full Jacobians) and prints one line per case.
/// </summary>
public static class VerifyCommand
{
    /// <summary>Builds the command; <paramref name="verbose"/> (the root's <c>--verbose</c>) prints every case's full table.</summary>
    internal static Command Create(Option<bool> verbose)
    {
        var verify = new Command("verify", "Check the gradient of every op and recurrent module (exit code 1 on any failure).");
        verify.SetAction(parse => Run(parse.InvocationConfiguration.Output, parse.GetValue(verbose)));
        return verify;
    }

    /// <summary>Runs every case; returns 0 when all pass, 1 otherwise (failures print their full table).</summary>
    public static int Run(TextWriter output, bool verbose)
    {
        var cases = Catalogue.Cases();
        int failed = 0;
        output.WriteLine($"{"case",-52} {"checks",6}  {"worst rel. error",16}  result");
        foreach (var gradCase in cases)
        {
            var report = GradCheck.Check(gradCase);
            double worst = report.Comparisons.Max(comparison => comparison.MaxRelError);
            output.WriteLine($"{gradCase.Name,-52} {report.Comparisons.Length,6}  {worst,16:E2}  {(report.Passed ? "pass" : "FAIL")}");
            if (!report.Passed) failed++;
            if (!report.Passed || verbose) output.WriteLine(report.ToTable());
        }
        var uncovered = Operations.Names.Where(name => !cases.Any(c => GradCheck.RecordedOperations(c.Function.Invoke(c.Inputs.Select(x => x.Detach().SetRequiresGrad()).ToArray())).Contains(name))).ToList();
        if (uncovered.Count > 0)
        {
            output.WriteLine($"operations without a case: {string.Join(", ", uncovered)}");
            failed++;
        }
        output.WriteLine($"{cases.Length - (failed - (uncovered.Count > 0 ? 1 : 0))} of {cases.Length} cases passed; every one of the {Operations.Names.Count} operations covered: {uncovered.Count == 0}");
        return failed == 0 ? 0 : 1;
    }
}
