namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>A bad argument found only once the command runs (exit code 2, like a parse error): the message names the argument.</summary>
public sealed class UsageException(string message) : Exception(message);
