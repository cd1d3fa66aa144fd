using System.CommandLine;
using HybridIngest.Cli.Local;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local restart-servers</c>: replace the servers behind the local balancer one at a time (<see cref="RollingRestart"/>).</summary>
public static class LocalRestartServersCommand
{
    public static Command Create()
    {
        var command = new Command("restart-servers",
            "Replace each server behind the local balancer (local up --servers N) one at a time while traffic flows, as an instance refresh does: start a new one, wait for its /ready, put it in the balancer in place of the old one, then let the old one drain.")
        {
            StateDir,
        };
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            using var cancellation = SignalSafe.Relay(ct);
            try
            {
                await new RollingRestart(LocalState.Resolve(result.GetValue(StateDir)), AnsiConsole.Console).RunAsync(cancellation.Token);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                throw new UserException($"restart-servers stopped: {e.Message} The servers that run are in 'hybrid local status'.", ExitCode.Error);
            }
            return ExitCode.Success;
        }));
        return command;
    }
}
