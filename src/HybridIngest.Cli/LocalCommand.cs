using System.CommandLine;
using System.Globalization;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local</c>: the group of up, down, status, env (and the hidden lambda-host), and the status they print.</summary>
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
            LocalLambdaHostCommand.Create(),
        };

    internal static LocalStack Stack(ParseResult result) =>
        new(LocalState.Resolve(result.GetValue(SharedOptions.StateDir)), Packager.FindRepositoryRoot(), AnsiConsole.Console);

    /// <summary>The endpoints, and each process with its pid, port, log and (in status) whether it is alive.</summary>
    internal static void PrintStatus(IAnsiConsole console, LocalStackStatus status)
    {
        var endpoints = new Table().AddColumns("", "").HideHeaders();
        endpoints.AddRow("Lambda endpoint", status.LambdaEndpoint);
        endpoints.AddRow("Function", Markup.Escape(status.FunctionName));
        var ownServer = status.Processes.Any(p => p.Name == LocalServerProcess.Name);
        endpoints.AddRow("Server", ownServer ? status.ServerUrl : $"{Markup.Escape(status.ServerUrl)} (--server-url: not started by local up)");
        endpoints.AddRow("S3 (moto_server)", status.S3Endpoint);
        endpoints.AddRow("Bucket", Markup.Escape(status.Bucket));
        endpoints.AddRow("Region", status.Region);
        endpoints.AddRow("Up since", status.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        console.Write(endpoints);

        var processes = new Table().AddColumns("Process", "Pid", "Port", "State", "Log");
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
