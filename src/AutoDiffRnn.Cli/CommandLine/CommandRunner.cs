using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using AutoDiffRnn.Autodiff;

namespace AutoDiffRnn.Cli.CommandLine;

/// <summary>
/// Runs a command line in one place for every command: a parse error or a bad argument is one line on stderr and exit code 2; a failure
/// while running is one line on stderr and exit code 1; the stack trace only with <c>--verbose</c>; <c>--detect-anomaly</c> runs the
/// command in anomaly mode.
/// </summary>
public static class CommandRunner
{
    /// <summary>The prefix of every error line.</summary>
    public const string ErrorPrefix = "autodiffrnn: error: ";

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the chosen command; returns the exit code.</summary>
    /// <param name="root">The command tree.</param>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Where commands write their results (and help).</param>
    /// <param name="error">Where the one-line error goes.</param>
    /// <param name="verbose">The <c>--verbose</c> option of the tree (prints the stack trace of a failure).</param>
    /// <param name="detectAnomaly">The <c>--detect-anomaly</c> option of the tree, if any.</param>
    public static int Run(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error, Option<bool> verbose, Option<bool>? detectAnomaly = null)
    {
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            error.WriteLine(OneLine(ErrorPrefix + string.Join(" ", parse.Errors.Select(Describe).Distinct()) + " (see --help)"));
            return ExitCodes.UsageError;
        }
        bool showStack = parse.GetResult(verbose) is not null && parse.GetValue(verbose);
        bool anomaly = detectAnomaly is not null && parse.GetResult(detectAnomaly) is not null && parse.GetValue(detectAnomaly);
        try
        {
            using var scope = anomaly ? Anomaly.Detect() : null;
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception exception)
        {
            var failure = Unwrap(exception);
            string hint = failure is Optim.NonFiniteGradientException && !anomaly && detectAnomaly is not null && InScope(parse, detectAnomaly)
                ? " (rerun with --detect-anomaly to find the op that produced them)"
                : "";
            error.WriteLine(OneLine(ErrorPrefix + Describe(failure, showStack) + hint));
            if (showStack) error.WriteLine(failure.ToString());
            return failure is UsageException ? ExitCodes.UsageError : ExitCodes.RuntimeFailure;
        }
    }

    /// <summary>True when the chosen command (or a command above it) declares <paramref name="option"/>.</summary>
    private static bool InScope(ParseResult parse, Option option)
    {
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
            if (result.Command.Options.Contains(option)) return true;
        return false;
    }

    /// <summary>A parse error, prefixed with its option's name when the parser's message leaves it out.</summary>
    private static string Describe(ParseError parseError)
    {
        string message = parseError.Message.TrimEnd('.') + ".";
        return parseError.SymbolResult is OptionResult { Option.Name: var name } && !message.Contains(name) ? $"{name}: {message}" : message;
    }

    private static Exception Unwrap(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Unwrap(aggregate.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: Exception inner } => Unwrap(inner),
        _ => exception,
    };

    /// <summary>The message, with the type named for exceptions that are not expected failures (a bug's message rarely says enough).</summary>
    private static string Describe(Exception exception, bool verbose)
    {
        bool expected = exception is UsageException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
            or ArithmeticException or InvalidOperationException or NotSupportedException;
        string inner = exception.InnerException is Exception cause && !exception.Message.Contains(cause.Message) ? $": {cause.Message}" : "";
        return exception.Message + inner + (expected ? "" : $" ({exception.GetType().Name}{(verbose ? "" : "; run with --verbose for the stack trace")})");
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
