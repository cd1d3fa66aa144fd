using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid local up|down|status</c>: the whole system on this machine, no AWS account.</summary>
public static class LocalCommand
{
    internal static readonly Option<string?> StateDir = new("--state-dir")
    {
        Description = $"Directory of the local stack's state, logs and Terraform state (default: ${LocalState.EnvironmentVariable}, else ./.hybrid).",
    };
    internal static readonly Option<string> Artifacts = new("--artifacts")
    {
        Description = "Directory of lambda.zip and server.zip (packaged there first when missing or older than the sources).",
        DefaultValueFactory = _ => "artifacts",
    };
    internal static readonly Option<int> MaxConcurrency = new("--max-concurrency")
    {
        Description = "Most execution environments the local Lambda host runs at once (beyond them an invocation gets 429, as on Lambda).",
        DefaultValueFactory = _ => 64,
    };
    static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the state as JSON: lambda_endpoint, function_name, server_url, s3_endpoint, bucket, region and the processes.",
    };

    const string AllowedPrivateCidrsNote = "INGEST_ALLOWED_PRIVATE_CIDRS=" + LocalStack.AllowedPrivateCidrs;

    static readonly JsonSerializerOptions Indented = new(HybridIngestJsonContext.Default.Options) { WriteIndented = true };

    public static Command Create()
    {
        MaxConcurrency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--max-concurrency must be at least 1.");
            }
        });
        return new Command("local", "The whole system on this machine with no AWS account: moto_server, infra/ applied to it, the server and the function under a local Lambda host.")
        {
            UpCommand(),
            DownCommand(),
            StatusCommand(),
            LocalLambdaHostCommand.Create(),
        };
    }

    static Command UpCommand()
    {
        var command = new Command("up", "Start moto_server, apply infra/ to it, start the server from server.zip and the local Lambda host with lambda.zip; record them in the state directory.")
        {
            StateDir, Artifacts, MaxConcurrency,
        };
        command.SetAction((result, ct) => Program.Run(async () =>
        {
            using var cancellation = SignalSafe.Relay(ct);
            var status = await Stack(result).UpAsync(
                new LocalUpOptions(result.GetValue(Artifacts)!, result.GetValue(MaxConcurrency)), cancellation.Token);
            PrintStatus(AnsiConsole.Console, status);
            AnsiConsole.MarkupLine("Stop it with [bold]hybrid local down[/].");
            return ExitCode.Success;
        }));
        return command;
    }

    static Command DownCommand()
    {
        var command = new Command("down", "Destroy the Terraform stack on the local moto_server and stop exactly the processes 'local up' started.")
        {
            StateDir,
        };
        command.SetAction((result, ct) => Program.Run(async () =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            if (state.Load() is null)
            {
                AnsiConsole.MarkupLineInterpolated($"No local stack is up (no {state.StateFile}): nothing to stop.");
                return ExitCode.Success;
            }
            using var cancellation = SignalSafe.Relay(ct);
            await Stack(result).DownAsync(cancellation.Token);
            AnsiConsole.MarkupLine("[green]The local stack is down.[/]");
            return ExitCode.Success;
        }));
        return command;
    }

    static Command StatusCommand()
    {
        var command = new Command("status", $"Show the local stack's endpoints and whether each of its processes is alive. Exit code {(int)ExitCode.CheckFailed} when nothing is up or a process is gone.")
        {
            StateDir, Json,
        };
        command.SetAction((result, _) => Program.Run(() =>
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
                PrintStatus(AnsiConsole.Console, status);
            }
            return Task.FromResult(status.Processes.All(p => p.Alive == true) ? ExitCode.Success : ExitCode.CheckFailed);
        }));
        return command;
    }

    static LocalStack Stack(ParseResult result) =>
        new(LocalState.Resolve(result.GetValue(StateDir)), Packager.FindRepositoryRoot(), AnsiConsole.Console);

    /// <summary>The endpoints, and each process with its pid, port, log and (in status) whether it is alive.</summary>
    internal static void PrintStatus(IAnsiConsole console, LocalStackStatus status)
    {
        var endpoints = new Table().AddColumns("", "").HideHeaders();
        endpoints.AddRow("Lambda endpoint", status.LambdaEndpoint);
        endpoints.AddRow("Function", Markup.Escape(status.FunctionName));
        endpoints.AddRow("Server", status.ServerUrl);
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
            $"Invoke it with [bold]hybrid invoke --url URL[/], or with the AWS CLI and any keys (e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing): aws lambda invoke --region {status.Region} --endpoint-url {status.LambdaEndpoint} --function-name {status.FunctionName} --payload fileb://event.json out.json");
        console.MarkupLineInterpolated(
            $"The server may download from this machine ({AllowedPrivateCidrsNote}), so a local origin such as 'python3 -m http.server' works as image_url.");
    }
}
