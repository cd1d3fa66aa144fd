using System.CommandLine;
using System.Globalization;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local</c>: the group of up, down, status, env, logs, restart-servers, invoke (and the hidden lambda-host and balancer), and the status they print.</summary>
public static class LocalCommand
{
    const string AllowedPrivateCidrsNote = "INGEST_ALLOWED_PRIVATE_CIDRS=" + LocalServerProcess.AllowedPrivateCidrs;

    public static Command Create() =>
        new("local", "The whole system on this machine with no AWS account: moto_server, infra/ applied to it, the server and the function under a local Lambda host.")
        {
            LocalUpCommand.Create(),
            LocalDownCommand.Create(),
            LocalStatusCommand.Create(),
            LocalEnvCommand.Create(),
            LocalLogsCommand.Create(),
            LocalRestartServersCommand.Create(),
            LocalInvokeCommand.Create(),
            LocalLambdaHostCommand.Create(),
            LocalBalancerCommand.Create(),
        };

    internal static LocalStack Stack(ParseResult result) =>
        new(LocalState.Resolve(result.GetValue(SharedOptions.StateDir)), Packager.FindRepositoryRoot(), AnsiConsole.Console);

    /// <summary>The endpoints, and each process with its pid, port, log and (in status) whether it is alive.</summary>
    internal static void PrintStatus(IAnsiConsole console, LocalStackStatus status)
    {
        var endpoints = new Table().AddColumns("", "").HideHeaders();
        endpoints.AddRow("Lambda endpoint", status.LambdaEndpoint);
        endpoints.AddRow("Function", Markup.Escape(status.FunctionName));
        var servers = status.Processes.Count(p => p.Name == LocalServerProcess.Name);
        var ownServer = servers > 0;
        endpoints.AddRow("Server", (ownServer, status.Processes.Any(p => p.Name == LocalBalancerProcess.Name)) switch
        {
            (true, true) => $"{status.ServerUrl} (the balancer in front of {servers} servers)",
            (true, false) => status.ServerUrl,
            _ => $"{Markup.Escape(status.ServerUrl)} (--server-url: not started by local up)",
        });
        endpoints.AddRow("S3 (moto_server)", status.S3Endpoint);
        endpoints.AddRow("Bucket", Markup.Escape(status.Bucket));
        endpoints.AddRow("Region", status.Region);
        endpoints.AddRow("infra/", status.TerraformApplied
            ? "applied to moto_server with Terraform"
            : "not applied (--no-terraform): the bucket only, infra/'s default settings");
        if (status.DashboardUrl is { } dashboard)
        {
            endpoints.AddRow("Dashboard (traces)", $"{dashboard}  (OTLP/HTTP: {status.OtlpEndpoint})");
        }
        endpoints.AddRow("Up since", status.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        console.Write(endpoints);

        var processes = new Table().AddColumns("Process", "Pid", "Port", "State").AddColumn(new TableColumn("Log").NoWrap());
        foreach (var process in status.Processes)
        {
            processes.AddRow(
                process.Name,
                process.Pid.ToString(CultureInfo.InvariantCulture),
                process.Port.ToString(CultureInfo.InvariantCulture),
                process.Alive switch { true => "[green]alive[/]", false => "[red]gone[/]", null => "started" },
                Markup.Escape(process.LogFile));
        }
        console.Write(processes);
        console.MarkupLineInterpolated(
            $"Invoke it with [bold]hybrid invoke --url URL[/], or point the AWS CLI and SDKs at it with [bold]eval \"$(hybrid local env)\"[/] and run: aws lambda invoke --function-name {status.FunctionName} --payload fileb://event.json out.json");
        if (ownServer)
        {
            console.MarkupLineInterpolated(
                $"The server may download from this machine ({AllowedPrivateCidrsNote}), so a local origin such as 'python3 -m http.server' works as image_url.");
        }
    }
}
