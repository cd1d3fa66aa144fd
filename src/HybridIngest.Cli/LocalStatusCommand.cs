using System.CommandLine;
using System.Text.Json;
using HybridIngest.Contracts;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local status</c>: the local stack's endpoints and whether its processes are alive.</summary>
public static class LocalStatusCommand
{
    static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the state as JSON: lambda_endpoint, function_name, server_url, s3_endpoint, bucket, region, dashboard_url and otlp_endpoint (with --dashboard) and the processes.",
    };

    static readonly JsonSerializerOptions Indented = new(HybridIngestJsonContext.Default.Options) { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("status", $"Show the local stack's endpoints and whether each of its processes is alive. Exit code {(int)ExitCode.CheckFailed} when nothing is up or a process is gone.")
        {
            StateDir, Json,
        };
        command.SetAction((result, _) => CommandAction.Run(() =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            if (LocalStack.Status(state) is not { } status)
            {
                Console.Error.WriteLine($"hybrid: no local stack is up (no {state.StateFile}). Start one with 'hybrid local up'.");
                return Task.FromResult(ExitCode.CheckFailed);
            }
            if (result.GetValue(Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(status, Indented.GetTypeInfo(typeof(LocalStackStatus))));
            }
            else
            {
                LocalCommand.PrintStatus(AnsiConsole.Console, status);
            }
            return Task.FromResult(status.Processes.All(p => p.Alive == true) ? ExitCode.Success : ExitCode.CheckFailed);
        }));
        return command;
    }
}
