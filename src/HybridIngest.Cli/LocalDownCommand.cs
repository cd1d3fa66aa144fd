using System.CommandLine;
using HybridIngest.Cli.Local;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local down</c>: destroy the local stack and stop what <c>local up</c> started.</summary>
public static class LocalDownCommand
{
    public static Command Create()
    {
        var command = new Command("down", "Destroy the Terraform stack on the local moto_server and stop exactly the processes 'local up' started.")
        {
            StateDir,
        };
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            if (state.Load() is null)
            {
                AnsiConsole.MarkupLineInterpolated($"No local stack is up (no {state.StateFile}): nothing to stop.");
                return ExitCode.Success;
            }
            using var cancellation = SignalSafe.Relay(ct);
            await LocalCommand.Stack(result).DownAsync(cancellation.Token);
            AnsiConsole.MarkupLine("[green]The local stack is down.[/]");
            return ExitCode.Success;
        }));
        return command;
    }
}
