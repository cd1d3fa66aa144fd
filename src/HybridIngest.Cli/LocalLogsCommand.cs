using System.CommandLine;
using System.Text;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary>
/// <c>hybrid local logs [server|function|host|moto|balancer|dashboard] [-f]</c>: the logs of the processes <c>local up</c>
/// started, read from the files their output goes to. The function has no process of its own: its
/// output (START, END and REPORT lines and what the bootstrap prints, as CloudWatch would hold them)
/// is in the local Lambda host's log, so <c>function</c> and <c>host</c> name the same log.
/// </summary>
public static class LocalLogsCommand
{
    /// <summary>The names the command takes, each with the process of the stack whose log it is.</summary>
    static readonly Dictionary<string, string> Processes = new(StringComparer.Ordinal)
    {
        ["server"] = LocalServerProcess.Name,
        ["function"] = LocalLambdaHostProcess.Name,
        ["host"] = LocalLambdaHostProcess.Name,
        ["moto"] = LocalMotoProcess.Name,
        ["balancer"] = LocalBalancerProcess.Name,
        ["dashboard"] = LocalDashboardProcess.Name,
    };

    static readonly Argument<string?> Name = new Argument<string?>("process")
    {
        Description = "Whose log: server (every server with --servers N), function (the same log as host: the local Lambda host holds the function's output), host, moto, balancer (--servers 2 or more) or dashboard (--dashboard). Default: all, each line prefixed with its process.",
        Arity = ArgumentArity.ZeroOrOne,
    }.AcceptOnlyFromAmong([.. Processes.Keys]);

    static readonly Option<bool> Follow = new("--follow", "-f")
    {
        Description = "Keep printing new lines as they are written, until Ctrl+C or the stack goes down.",
    };

    /// <summary>How often a followed log is read for new lines (tail -f reads once a second).</summary>
    static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(250);

    public static Command Create()
    {
        var command = new Command("logs", $"Print the logs of the local stack's processes (-f to follow them). Exit code {(int)ExitCode.Usage} when nothing is up or the process is not part of the stack.")
        {
            Name, Follow, StateDir,
        };
        command.SetAction((result, ct) => CommandAction.Run(() =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            var logs = Logs(state, result.GetValue(Name));
            return PrintAsync(logs, state, result.GetValue(Follow), Console.Out, ct);
        }));
        return command;
    }

    /// <summary>The log files to print, each with the prefix its lines get (none when there is one).</summary>
    static List<(string Prefix, string File)> Logs(LocalState state, string? name)
    {
        if (state.Load() is not { } status)
        {
            var last = Directory.Exists(state.LogDirectory) ? $" The last stack's logs are in {state.LogDirectory}." : "";
            throw new UserException($"no local stack is up (no {state.StateFile}). Start one with 'hybrid local up'.{last}");
        }
        if (name is null)
        {
            var labels = status.Processes.Select(Label).ToList();
            var width = labels.Max(l => l.Length);
            return [.. status.Processes.Select((p, i) => ($"{labels[i].PadRight(width)} | ", p.LogFile))];
        }
        var processes = status.Processes.Where(p => p.Name == Processes[name]).ToList();
        if (processes.Count == 0)
        {
            throw new UserException(name == "server"
                ? $"this local stack has no server process (up with --server-url {status.ServerUrl}: that server logs wherever it runs)."
                : $"this local stack has no {name} process (see 'hybrid local status').");
        }
        // With --servers N each server's lines are prefixed with its port.
        return processes.Count == 1
            ? [("", processes[0].LogFile)]
            : [.. processes.Select(p => ($"{Label(p)} | ", p.LogFile))];

        // Servers behind the balancer share a name: each is told apart by its port, as its log file is.
        string Label(LocalProcess process) =>
            status.Processes.Count(p => p.Name == process.Name) > 1 ? $"{process.Name}-{process.Port}" : process.Name;
    }

    static async Task<ExitCode> PrintAsync(List<(string Prefix, string File)> logs, LocalState state, bool follow, TextWriter output, CancellationToken cancellationToken)
    {
        var readers = logs.Select(log => new LogReader(log.Prefix, log.File)).ToList();
        using var timer = new PeriodicTimer(FollowInterval);
        while (true)
        {
            foreach (var reader in readers)
            {
                await reader.PrintNewLinesAsync(output);
            }
            await output.FlushAsync(cancellationToken);
            if (!follow)
            {
                foreach (var reader in readers)
                {
                    await reader.PrintRestAsync(output);
                }
                return ExitCode.Success;
            }
            if (!File.Exists(state.StateFile))
            {
                await Console.Error.WriteLineAsync("hybrid: the local stack is down: no more lines will come.");
                return ExitCode.Success;
            }
            try
            {
                await timer.WaitForNextTickAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return ExitCode.Success; // Ctrl+C is how following ends.
            }
        }
    }

    /// <summary>One log file read from where the last read stopped; a line is printed once it is whole.</summary>
    sealed class LogReader(string prefix, string file)
    {
        long _position;
        byte[] _partial = [];

        public async Task PrintNewLinesAsync(TextWriter output)
        {
            if (!File.Exists(file))
            {
                return;
            }
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(_position, SeekOrigin.Begin);
            using var read = new MemoryStream();
            read.Write(_partial);
            await stream.CopyToAsync(read);
            _position = stream.Position;
            var bytes = read.ToArray();
            // Bytes, not characters, up to the last newline: a UTF-8 character is never cut, since 0x0A occurs in no multi-byte sequence.
            var end = Array.LastIndexOf(bytes, (byte)'\n');
            _partial = bytes[(end + 1)..];
            if (end >= 0)
            {
                await PrintAsync(output, bytes[..end]);
            }
        }

        /// <summary>What follows the last newline, for a log printed once: its last line even without a newline.</summary>
        public async Task PrintRestAsync(TextWriter output)
        {
            if (_partial.Length > 0)
            {
                await PrintAsync(output, _partial);
                _partial = [];
            }
        }

        async Task PrintAsync(TextWriter output, byte[] lines)
        {
            foreach (var line in Encoding.UTF8.GetString(lines).Split('\n'))
            {
                await output.WriteLineAsync(prefix + line.TrimEnd('\r'));
            }
        }
    }
}
