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

    static readonly Option<bool> NoTerraform = new("--no-terraform")
    {
        Description = "Do not apply infra/: create only the bucket on moto_server and give the function and the server infra/'s default settings. Seconds instead of a minute (the aws provider waits about 55 s on the bucket's lifecycle rules and 30 s or more on the load balancer); without it, up proves the Terraform.",
    };

    /// <summary>Each server is a process of ~100 MB on this one machine; more than 16 would only compete for its cores.</summary>
    static readonly Option<int> Servers = OptionKinds.Count("--servers",
        "How many servers to start; 2 or more run behind a local load balancer (YARP, like the ALB on AWS) that the function calls, and 'local restart-servers' replaces them one at a time.",
        1, 16, 1);

    public static Command Create()
    {
        var command = new Command("up", "Start moto_server, apply infra/ to it, start the server(s) from server.zip (or use --server-url), the local Lambda host with lambda.zip and, with --dashboard, the Aspire dashboard; record them in the state directory.")
        {
            StateDir, Artifacts, MaxConcurrency, ServerUrl, Servers, Dashboard, NoTerraform,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(Servers) is { Implicit: false } && result.GetResult(ServerUrl) is { Implicit: false })
            {
                result.AddError("--servers starts servers of ours and --server-url uses one of yours instead: give only one of them.");
            }
        });
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            using var cancellation = SignalSafe.Relay(ct);
            var status = await LocalCommand.Stack(result).UpAsync(
                new LocalUpOptions(result.GetValue(Artifacts)!, result.GetValue(MaxConcurrency), result.GetValue(ServerUrl), result.GetValue(Servers), result.GetValue(Dashboard),
                    Terraform: !result.GetValue(NoTerraform)), cancellation.Token);
            LocalCommand.PrintStatus(AnsiConsole.Console, status);
            AnsiConsole.MarkupLine("Stop it with [bold]hybrid local down[/].");
            return ExitCode.Success;
        }));
        return command;
    }
}
