namespace HybridIngest.Cli;

/// <summary>The exit codes of <c>hybrid</c> (listed in <c>hybrid --help</c> and the README).</summary>
public enum ExitCode
{
    /// <summary>Done; every check passed.</summary>
    Success = 0,

    /// <summary>An unexpected error (a bug or an environment problem; the message says which).</summary>
    Error = 1,

    /// <summary>Bad usage or input: unknown option, missing target, invalid value. Nothing was changed.</summary>
    Usage = 2,

    /// <summary>The command ran but what it checked failed: an invocation failed, an object is missing or different.</summary>
    CheckFailed = 3,

    /// <summary>A tool or toolchain the command needs is missing (dotnet, clang, terraform, moto_server).</summary>
    MissingTool = 4,

    /// <summary>Interrupted (Ctrl+C).</summary>
    Cancelled = 130,
}

/// <summary>A problem the user can fix, reported as its message alone (no stack trace).</summary>
public sealed class UserException(string message, ExitCode exitCode = ExitCode.Usage) : Exception(message)
{
    public ExitCode ExitCode { get; } = exitCode;
}
