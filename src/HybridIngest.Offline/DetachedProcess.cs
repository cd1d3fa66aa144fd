using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using CliWrap;

namespace HybridIngest.Offline;

/// <summary>
/// A process meant to outlive the program that starts it (the local stack of <c>hybrid local up</c>):
/// its own session and process group (<c>setsid</c>), stdin from /dev/null, stdout and stderr
/// appended to a log file. It is identified later by its pid and its start in clock ticks since boot,
/// so a pid the kernel has recycled is never mistaken for it.
/// CliWrap starts it, as it starts every process here; this class is ours because what comes after
/// the start is not CliWrap's: CliWrap knows a process only while the program that started it waits
/// for it, and kills only that process's tree, whereas this one is found again by a later
/// <c>hybrid local down</c> (by pid and start tick), waited for through its log file, and stopped
/// with its whole process group (SIGTERM, then SIGKILL).
/// </summary>
/// <param name="StartTicks">The start in clock ticks since boot (field 22 of /proc/PID/stat).</param>
/// <param name="StartedAt">The same as a wall-clock time, for people.</param>
public sealed record DetachedProcess(int Pid, long StartTicks, DateTimeOffset StartedAt, string CommandLine, string LogFile)
{
    const int SigTerm = 15;
    const int SigKill = 9;

    /// <summary>
    /// Starts <paramref name="executable"/> detached. The environment is this process's, with
    /// <paramref name="environment"/> applied on top (a null value removes a variable).
    /// </summary>
    public static DetachedProcess Start(
        string executable,
        IEnumerable<string> arguments,
        string logFile,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        var argumentList = arguments.ToList();
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            ["HYBRID_LOG_FILE"] = Path.GetFullPath(logFile),
        };
        // setsid execs sh, which redirects and execs the program: one pid from start to finish.
        var run = Cli.Wrap("setsid")
            .WithArguments(["sh", "-c", "exec \"$@\" </dev/null >>\"$HYBRID_LOG_FILE\" 2>&1", "sh", executable, .. argumentList])
            .WithWorkingDirectory(workingDirectory ?? Environment.CurrentDirectory)
            .WithEnvironmentVariables(variables)
            .WithValidation(CommandResultValidation.None)
            // Not awaited: the process is meant to outlive this program. Its end is seen by pid and
            // start tick (IsAlive), also from a later run of the program.
            .ExecuteAsync();
        var ticks = ReadStartTicks(run.ProcessId) ?? -1;
        return new DetachedProcess(
            run.ProcessId,
            ticks,
            DateTimeOffset.UnixEpoch.AddSeconds(BootTime.Value).AddSeconds(ticks / (double)ClockTicksPerSecond),
            string.Join(' ', [executable, .. argumentList]),
            Path.GetFullPath(logFile));
    }

    /// <summary>True while the process with this pid is still the one that was started (same start tick).</summary>
    public bool IsAlive => ReadStartTicks(Pid) == StartTicks;

    /// <summary>
    /// Waits until the log file has a line matching <paramref name="pattern"/> and returns the match.
    /// Polls the file (the process is not ours to read from: it outlives us); fails at once when the
    /// process exits, with the log's tail in the message.
    /// </summary>
    public async Task<Match> WaitForLogLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        long offset = 0;
        var partial = new StringBuilder();
        try
        {
            while (true)
            {
                if (File.Exists(LogFile))
                {
                    await using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    stream.Seek(offset, SeekOrigin.Begin);
                    using var reader = new StreamReader(stream);
                    partial.Append(await reader.ReadToEndAsync(deadline.Token));
                    offset = stream.Position;
                    var text = partial.ToString();
                    var lastNewline = text.LastIndexOf('\n');
                    foreach (var line in text[..(lastNewline + 1)].Split('\n'))
                    {
                        if (pattern.Match(line) is { Success: true } match)
                        {
                            return match;
                        }
                    }
                    partial.Clear().Append(text[(lastNewline + 1)..]);
                }
                if (!IsAlive)
                {
                    throw new InvalidOperationException($"{CommandLine} exited before it was ready. The end of {LogFile}:{Environment.NewLine}{LogTail()}");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{CommandLine} was not ready within {timeout.TotalSeconds:0} s. The end of {LogFile}:{Environment.NewLine}{LogTail()}");
        }
    }

    /// <summary>
    /// Stops the process and its process group (everything it started that did not leave the group):
    /// SIGTERM, then SIGKILL after <paramref name="grace"/>. Does nothing when the pid no longer
    /// belongs to this process. Returns false when it was already gone.
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (!IsAlive)
        {
            return false;
        }
        // setsid made the process its group's leader, so -Pid addresses exactly its group.
        _ = kill(-Pid, SigTerm);
        var deadline = DateTimeOffset.UtcNow + grace;
        while (GroupIsAlive() && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
        if (GroupIsAlive())
        {
            _ = kill(-Pid, SigKill);
            while (GroupIsAlive())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
        }
        return true;
    }

    /// <summary>
    /// Whether any process of the group still runs. A zombie does not count: the exited processes
    /// were reparented to init when <c>up</c> exited, and init may reap them only seconds later
    /// (kill(-pid, 0) succeeds until it does).
    /// </summary>
    bool GroupIsAlive() => IsAlive || (kill(-Pid, 0) == 0 && LiveMembersOf(new HashSet<int> { Pid }).Any());

    /// <summary>The running processes (zombies left out) whose process group is one of <paramref name="groups"/>, from /proc/PID/stat alone.</summary>
    public static IEnumerable<int> LiveMembersOf(IReadOnlySet<int> groups)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ReadStat(pid) is not { } fields)
            {
                continue;
            }
            // After the command name: state, ppid, pgrp.
            if (fields[0] != "Z" && groups.Contains(int.Parse(fields[2], CultureInfo.InvariantCulture)))
            {
                yield return pid;
            }
        }
    }

    string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return string.Join(Environment.NewLine, lines.TakeLast(20));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>The process's start in clock ticks since boot, from /proc; null when gone or a zombie.</summary>
    static long? ReadStartTicks(int pid) => ReadStat(pid) is { } fields && fields[0] != "Z"
        ? long.Parse(fields[19], CultureInfo.InvariantCulture)
        : null;

    /// <summary>The fields of /proc/PID/stat after the command name (state first); null when the process is gone.</summary>
    static string[]? ReadStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may itself hold spaces.
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    static readonly Lazy<long> BootTime = new(() => long.Parse(
        File.ReadLines("/proc/stat").First(line => line.StartsWith("btime ", StringComparison.Ordinal))[6..],
        CultureInfo.InvariantCulture));

    // USER_HZ: 100 on every Linux architecture .NET runs on.
    const int ClockTicksPerSecond = 100;

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);
}
