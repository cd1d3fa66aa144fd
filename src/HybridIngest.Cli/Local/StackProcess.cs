using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// What every process <c>local up</c> starts has in common: it runs detached
/// (<see cref="DetachedProcess"/>, its output in <c>.hybrid/logs/NAME.log</c>), it is stopped again
/// when it does not get ready, it is recorded in the state as a <see cref="LocalProcess"/>, and it
/// is stopped (SIGTERM to its process group, SIGKILL after 10 s) only while its pid still has the
/// recorded start time.
/// </summary>
static class StackProcess
{
    /// <summary>How long a started process may take to get ready (a loaded CI machine is slow).</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits until <paramref name="process"/> is ready (<paramref name="readyPort"/> returns the port it
    /// serves on) and records it; if the wait fails, stops the process before the failure goes on,
    /// because it is not yet among the processes <c>up</c> cleans up.
    /// </summary>
    public static async Task<LocalProcess> ReadyAsync(string name, DetachedProcess process, Func<Task<int>> readyPort)
    {
        int port;
        try
        {
            port = await readyPort();
        }
        catch
        {
            await process.StopAsync(StopGrace);
            throw;
        }
        return new LocalProcess
        {
            Name = name,
            Pid = process.Pid,
            Port = port,
            ProcessStartedAt = process.StartedAt,
            ProcessStartTicks = process.StartTicks,
            CommandLine = process.CommandLine,
            LogFile = process.LogFile,
        };
    }

    /// <summary>True while the recorded pid is still the process that was started.</summary>
    public static bool IsAlive(LocalProcess process) => Detached(process).IsAlive;

    /// <summary>Stops a recorded process, if it is still the one started; false when it was already gone.</summary>
    public static Task<bool> StopAsync(LocalProcess process) => Detached(process).StopAsync(StopGrace);

    /// <summary>The address a recorded process serves on.</summary>
    public static string Endpoint(LocalProcess process) => $"http://127.0.0.1:{process.Port}";

    static DetachedProcess Detached(LocalProcess process) =>
        new(process.Pid, process.ProcessStartTicks, process.ProcessStartedAt, process.CommandLine, process.LogFile);
}
