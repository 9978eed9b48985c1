namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>The exit codes of <c>autodiffrnn</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command succeeded.</summary>
    public const int Success = 0;

    /// <summary>The command failed while running (a corrupt checkpoint, a non-finite loss, an I/O error...).</summary>
    public const int RuntimeFailure = 1;

    /// <summary>The command line was wrong: an unknown option, a value out of range, a missing or unsuitable file.</summary>
    public const int UsageError = 2;

    /// <summary>Training was stopped with Ctrl+C (a checkpoint was saved).</summary>
    public const int Interrupted = 130;
}
