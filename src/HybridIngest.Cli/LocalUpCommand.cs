using System.CommandLine;
using HybridIngest.Cli.Local;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local up</c>: start the whole system on this machine and record it.</summary>
public static class LocalUpCommand
{
    /// <summary>The same bound as bench's levels: more environments than any level can use would only cost memory.</summary>
    static readonly Option<int> MaxConcurrency = OptionKinds.Count("--max-concurrency",
        "Most execution environments the local Lambda host runs at once (beyond them an invocation gets 429, as on Lambda).", 1, BenchSettings.MaxConcurrency, 64);

    static readonly Option<Uri?> ServerUrl = OptionKinds.HttpUrl<Uri?>("--server-url",
        "A server for the function to call instead of starting ours (e.g. the lab's Flask server or an EC2 instance); it gets POST {URL}/process-image.",
        "http://127.0.0.1:5000", uri => uri);

    static readonly Option<bool> Dashboard = new("--dashboard")
    {
        Description = "Also start the Aspire dashboard (traces, metrics and logs in a web page, on 127.0.0.1) and send the server's and the function's telemetry to it.",
    };

    public static Command Create()
    {
        var command = new Command("up", "Start moto_server, apply infra/ to it, start the server from server.zip (or use --server-url), the local Lambda host with lambda.zip and, with --dashboard, the Aspire dashboard; record them in the state directory.")
        {
            StateDir, Artifacts, MaxConcurrency, ServerUrl, Dashboard,
        };
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            using var cancellation = SignalSafe.Relay(ct);
            var status = await LocalCommand.Stack(result).UpAsync(
                new LocalUpOptions(result.GetValue(Artifacts)!, result.GetValue(MaxConcurrency), result.GetValue(ServerUrl), result.GetValue(Dashboard)), cancellation.Token);
            LocalCommand.PrintStatus(AnsiConsole.Console, status);
            AnsiConsole.MarkupLine("Stop it with [bold]hybrid local down[/].");
            return ExitCode.Success;
        }));
        return command;
    }
}
