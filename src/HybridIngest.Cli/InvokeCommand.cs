using System.CommandLine;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid invoke</c>: one invocation with an image URL.</summary>
public static class InvokeCommand
{
    static readonly Option<bool> Json = new("--json")
    {
        Description = "Print only the outcome as JSON on stdout: succeeded, invoke_status, function_status, end_to_end_ms, lambda_ec2_call_time_ms, cold_start, init_duration_ms, request_id, and result (the server's answer) or error and error_message.",
    };

    public static Command Create()
    {
        var command = new Command("invoke", "Invoke the function once with an image URL; print its result, the end-to-end time and lambda_ec2_call_time_ms.")
        {
            Url, Function, EndpointUrl, SharedOptions.Region, StateDir, Infra, Json,
        };
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            var target = await ResolveTargetAsync(result, state, ct);
            var action = result.GetValue(Json) ? new InvokeAction(AnsiConsole.Console, Console.Out) : new InvokeAction(AnsiConsole.Console);
            return await action.RunAsync(result.GetValue(Url)!, target, new StoredImagesStore(state), ct);
        }));
        return command;
    }
}
