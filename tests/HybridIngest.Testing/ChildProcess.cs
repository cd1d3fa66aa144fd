using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace HybridIngest.Testing;

/// <summary>Child processes that serve (moto_server, the ingest server, the benchmark's reference servers): started, awaited until ready, killed.</summary>
public static class ChildProcess
{
    // Generous: a loaded CI machine can take long to start one.
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts <paramref name="start"/> with its output redirected and returns once a line it prints
    /// (stdout or stderr) matches <paramref name="ready"/>. If it exits first, or does not get ready
    /// within 60 s, it is killed and the error carries what it printed.
    /// </summary>
    /// <param name="name">How errors name the process.</param>
    /// <param name="output">Receives each line the process writes (stdout and stderr), for as long as it runs.</param>
    public static async Task<(Process Process, Match Ready)> StartAsync(
        ProcessStartInfo start,
        Regex ready,
        string name,
        Action<string>? output,
        CancellationToken cancellationToken)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");

        var matched = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var printed = new ConcurrentQueue<string>();
        void OnLine(string line)
        {
            if (matched.Task.IsCompleted)
            {
                return;
            }
            printed.Enqueue(line);
            if (ready.Match(line) is { Success: true } match)
            {
                matched.TrySetResult(match);
            }
        }
        void OnData(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                OnLine(e.Data);
                output?.Invoke(e.Data);
            }
        }
        process.OutputDataReceived += OnData;
        process.ErrorDataReceived += OnData;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => matched.TrySetException(new InvalidOperationException(
            $"{name} exited with code {process.ExitCode} before serving:{Environment.NewLine}{string.Join(Environment.NewLine, printed)}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            return (process, await matched.Task.WaitAsync(ReadyTimeout, cancellationToken));
        }
        catch (TimeoutException)
        {
            Kill(process);
            process.Dispose();
            throw new TimeoutException(
                $"{name} did not get ready within {ReadyTimeout.TotalSeconds} s:{Environment.NewLine}{string.Join(Environment.NewLine, printed)}");
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Kills a child process and its descendants, if it still runs.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
