using System.CommandLine;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid invoke</c>: one invocation with an image URL.</summary>
public static class InvokeCommand
{
    public static Command Create()
    {
        var command = new Command("invoke", "Invoke the function once with an image URL; print its result, the end-to-end time and lambda_ec2_call_time_ms.")
        {
            Url, Function, EndpointUrl, SharedOptions.Region, StateDir, Infra, InvokeJson,
        };
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            var target = await ResolveTargetAsync(result, state, ct);
            var action = result.GetValue(InvokeJson) ? new InvokeAction(AnsiConsole.Console, Console.Out) : new InvokeAction(AnsiConsole.Console);
            return await action.RunAsync(result.GetValue(Url)!, target, new StoredImagesStore(state), ct);
        }));
        return command;
    }
}
