using System.CommandLine;
using HybridIngest.Cli.Local;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local down</c>: stop what <c>local up</c> started (after a Terraform destroy with --destroy).</summary>
public static class LocalDownCommand
{
    static readonly Option<bool> Destroy = new("--destroy")
    {
        Description = "Run 'terraform destroy' against the stack's moto_server before stopping it (not needed: moto_server keeps its resources in memory only; it shows the teardown you would run on AWS).",
    };

    public static Command Create()
    {
        var command = new Command("down", "Stop exactly the processes 'local up' started; moto_server's resources go with it.")
        {
            StateDir, Destroy,
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
            await LocalCommand.Stack(result).DownAsync(result.GetValue(Destroy), cancellation.Token);
            AnsiConsole.MarkupLine("[green]The local stack is down.[/]");
            return ExitCode.Success;
        }));
        return command;
    }
}
