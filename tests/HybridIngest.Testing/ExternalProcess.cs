using System.Text;
using CliWrap;

namespace HybridIngest.Testing;

/// <summary>What a finished program printed and how it ended, described fit for a failed assertion.</summary>
public sealed record ProcessRun(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The exit code and everything printed, for an assertion's message.</summary>
    public string Output => $"exit code {ExitCode}{Environment.NewLine}{StandardOutput}{Environment.NewLine}{StandardError}";

    public override string ToString()
    {
        const int tail = 12_000;
        var output = StandardOutput.Length > tail ? "…" + StandardOutput[^tail..] : StandardOutput;
        return $"`{Command}` exited with {ExitCode}.{Environment.NewLine}"
            + $"--- stderr ---{Environment.NewLine}{StandardError}{Environment.NewLine}"
            + $"--- stdout ---{Environment.NewLine}{output}";
    }
}

/// <summary>Runs a program to completion (terraform, aws, python3, the <c>hybrid</c> command), through CliWrap, capturing its output.</summary>
public static class ExternalProcess
{
    /// <summary>Bounded, so that a hang fails the test instead of the CI job.</summary>
    static readonly TimeSpan Longest = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Runs <paramref name="executable"/> and returns when it exits. The environment is this
    /// process's with <paramref name="environment"/> on top (a null value removes a variable); the
    /// working directory is the repository's root unless given. A program still running after
    /// <paramref name="timeout"/> (10 min unless given) is killed with its children, and the test
    /// fails with what it printed.
    /// </summary>
    public static async Task<ProcessRun> RunAsync(
        string executable,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var argumentList = arguments.ToList();
        var command = $"{executable} {string.Join(' ', argumentList)}";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var deadline = new CancellationTokenSource(timeout ?? Longest);
        try
        {
            var result = await Cli.Wrap(executable)
                .WithArguments(argumentList)
                .WithWorkingDirectory(workingDirectory ?? RepositoryLayout.Root)
                .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
                .WithStandardOutputPipe(PipeTarget.ToStringBuilder(stdout))
                .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(deadline.Token);
            return new ProcessRun(command, result.ExitCode, stdout.ToString(), stderr.ToString());
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException(
                new ProcessRun(command, -1, stdout.ToString(), stderr.ToString()) + $"{Environment.NewLine}(killed after {timeout ?? Longest})");
        }
    }
}
