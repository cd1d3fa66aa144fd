using System.Diagnostics;
using System.Text;

namespace HybridIngest.Infra.Tests;

/// <summary>What a finished command printed, and a description fit for a failed assertion.</summary>
public sealed record CommandResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString()
    {
        const int tail = 12_000;
        var output = StandardOutput.Length > tail ? "…" + StandardOutput[^tail..] : StandardOutput;
        return $"`{Command}` exited with {ExitCode}.{Environment.NewLine}"
            + $"--- stderr ---{Environment.NewLine}{StandardError}{Environment.NewLine}"
            + $"--- stdout ---{Environment.NewLine}{output}";
    }
}

/// <summary>Runs an external tool (terraform, aws) to completion, capturing its output.</summary>
public static class CommandLine
{
    /// <summary>
    /// Runs <paramref name="file"/> and returns when it exits. A command still running after
    /// <paramref name="timeout"/> is killed with its children, and the test fails with what it printed.
    /// </summary>
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var command = $"{file} {string.Join(' ', start.ArgumentList)}";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var reading = Task.WhenAll(Pump(process.StandardOutput, stdout), Pump(process.StandardError, stderr));
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await reading;
            throw new TimeoutException(
                new CommandResult(command, -1, stdout.ToString(), stderr.ToString()) + $"{Environment.NewLine}(killed after {timeout})");
        }
        await reading;
        return new CommandResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, read);
            }
        }
    }
}
