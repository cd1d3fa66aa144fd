using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using CliWrap;

namespace HybridIngest.Testing;

/// <summary>
/// A long-running child process of a test or benchmark (moto_server, the ingest server, nginx, the
/// <c>hybrid</c> command under test), run by CliWrap like every process this repository starts:
/// started, optionally awaited until a line it prints says it is ready, and killed with its process
/// tree when disposed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    // Generous: a loaded CI machine can take long to start one.
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    readonly CommandTask<CommandResult> _run;
    readonly CancellationTokenSource _kill;

    ChildProcess(CommandTask<CommandResult> run, CancellationTokenSource kill)
    {
        _run = run;
        _kill = kill;
        Exited = run.Task.ContinueWith(
            ended => ended.IsCompletedSuccessfully ? ended.Result.ExitCode : -1, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public int Id => _run.ProcessId;

    /// <summary>
    /// Completes with the exit code once the process has exited (by itself, after a signal, or
    /// killed: then -1) and everything it printed has been passed on.
    /// </summary>
    public Task<int> Exited { get; }

    /// <summary>Starts <paramref name="command"/>, passing each line it prints (stdout and stderr) to <paramref name="output"/>.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The executable could not be started.</exception>
    public static ChildProcess Start(Command command, Action<string>? output = null)
    {
        var lines = PipeTarget.ToDelegate(line => output?.Invoke(line));
        var kill = new CancellationTokenSource();
        var run = command
            .WithStandardOutputPipe(lines)
            .WithStandardErrorPipe(lines)
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(kill.Token);
        return new ChildProcess(run, kill);
    }

    /// <summary>
    /// Starts <paramref name="command"/> and returns once a line it prints (stdout or stderr) matches
    /// <paramref name="ready"/>. If it exits first, or does not get ready within 60 s, it is killed and
    /// the error carries what it printed.
    /// </summary>
    /// <param name="name">How errors name the process.</param>
    /// <param name="output">Receives each line the process writes (stdout and stderr), for as long as it runs.</param>
    /// <exception cref="System.ComponentModel.Win32Exception">The executable could not be started.</exception>
    public static async Task<(ChildProcess Process, Match Ready)> StartAsync(
        Command command,
        Regex ready,
        string name,
        Action<string>? output,
        CancellationToken cancellationToken)
    {
        var matched = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var printed = new ConcurrentQueue<string>();
        string Printed() => string.Join(Environment.NewLine, printed);
        var child = Start(command, line =>
        {
            output?.Invoke(line);
            if (matched.Task.IsCompleted)
            {
                return;
            }
            printed.Enqueue(line);
            if (ready.Match(line) is { Success: true } match)
            {
                matched.TrySetResult(match);
            }
        });
        _ = child.Exited.ContinueWith(
            exit => matched.TrySetException(new InvalidOperationException($"{name} exited with code {exit.Result} before serving:{Environment.NewLine}{Printed()}")),
            TaskScheduler.Default);
        try
        {
            return (child, await matched.Task.WaitAsync(ReadyTimeout, cancellationToken));
        }
        catch (TimeoutException)
        {
            await child.DisposeAsync();
            throw new TimeoutException($"{name} did not get ready within {ReadyTimeout.TotalSeconds} s:{Environment.NewLine}{Printed()}");
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the process and its descendants, if it still runs, and waits until it has exited. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _kill.CancelAsync();
        await Exited;
    }
}
