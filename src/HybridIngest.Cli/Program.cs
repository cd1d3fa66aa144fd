using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>
/// The <c>hybrid</c> command: one factory method per subcommand; each action hands its parsed
/// options to a plain class and maps what happened to an <see cref="ExitCode"/>.
/// </summary>
public static class Program
{
    static readonly Option<string> Url = new("--url")
    {
        Description = "Image URL to send in the lab's event {\"image_url\": URL}.",
        Required = true,
    };
    static readonly Option<string?> Function = new("--function")
    {
        Description = "Function name or ARN (default: the local stack's, else terraform output function_name).",
    };
    static readonly Option<Uri?> EndpointUrl = new("--endpoint-url")
    {
        Description = "Invoke API endpoint to use instead of AWS's (e.g. the local stack's lambda_endpoint); needs --function.",
        CustomParser = result => Parsed(result, ParseUri(result.Tokens[0].Value),
            "--endpoint-url must be an absolute http(s) URL, e.g. http://127.0.0.1:9001"),
    };
    static readonly Option<string?> Region = new("--region")
    {
        Description = "AWS region (default: the local stack's, else terraform output region, else AWS_REGION).",
    };
    static readonly Option<string?> StateDir = new("--state-dir")
    {
        Description = $"Directory of the local stack's state and of the last results (default: ${LocalState.EnvironmentVariable}, else ./.hybrid).",
    };
    static readonly Option<string> Infra = new("--infra")
    {
        Description = "Terraform root module whose outputs name the deployed function (real AWS).",
        DefaultValueFactory = _ => "infra",
    };
    static readonly Option<string> Architecture = new Option<string>("--arch")
    {
        Description = "CPU architecture of the artifacts: x86_64 or arm64.",
        DefaultValueFactory = _ => "x86_64",
    }.AcceptOnlyFromAmong(Packager.Architectures);
    static readonly Option<string> ArtifactsOutput = new("--output")
    {
        Description = "Directory for lambda.zip, server.zip and their unpacked lambda/ and server/ trees.",
        DefaultValueFactory = _ => "artifacts",
    };
    static readonly Option<int?> Requests = new("--requests")
    {
        Description = $"Invocations per concurrency level (default {BenchSettings.DefaultRequests}, or unbounded when --duration is given).",
    };
    static readonly Option<int[]> Concurrency = new("--concurrency")
    {
        Description = "Concurrency levels to run in turn, comma-separated.",
        DefaultValueFactory = _ => [1, 8, 32],
        CustomParser = result => Parsed(result, ParseLevels(result.Tokens[0].Value),
            "--concurrency takes positive whole numbers separated by commas, e.g. 1,8,32")!,
    };
    static readonly Option<double?> Rate = new("--rate")
    {
        Description = "Start at most R invocations per second per level (default: as fast as the answers come).",
    };
    static readonly Option<TimeSpan?> Duration = new("--duration")
    {
        Description = "Stop each level after this long: seconds, or a number with s, m or h (e.g. 300, 90s, 5m).",
        CustomParser = result => Parsed(result, ParseDuration(result.Tokens[0].Value),
            "--duration takes seconds or a number with s, m or h, e.g. 300, 90s, 5m"),
    };
    static readonly Option<string?> Preset = new Option<string?>("--preset")
    {
        Description = "lab: the seed lab's benchmark (sequential, 1 request/s for 300 s); other options are ignored except the target.",
    }.AcceptOnlyFromAmong("lab");
    static readonly Option<string> BenchOutput = new("--output")
    {
        Description = "Directory that receives one <timestamp>/ directory per run (results.json, samples.csv, PNG plots).",
        DefaultValueFactory = _ => "bench-results",
    };

    public static async Task<int> Main(string[] args)
    {
        // Redirected output has no terminal width: COLUMNS, when set, says how wide tables may be.
        if (Console.IsOutputRedirected && int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0)
        {
            AnsiConsole.Profile.Width = columns;
        }
        var parse = CreateRootCommand().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine exits 1 on these; usage errors are ExitCode.Usage here.
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"hybrid: {error.Message}");
            }
            await Console.Error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");
            return (int)ExitCode.Usage;
        }
        // Ctrl+C/SIGTERM cancel the action's token; the action then gets time to finish what must
        // not be cut short (bench writes what it measured, demo tears its stack down) instead of
        // the library's default 2 s before the process is ended.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(3) });
    }

    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand($"""
            HybridIngest: package, run and measure the Lambda → EC2 server → S3 image pipeline, on AWS or on this machine.

            Exit codes:
              {(int)ExitCode.Success}    success
              {(int)ExitCode.Error}    unexpected error
              {(int)ExitCode.Usage}    bad usage or input (nothing was changed)
              {(int)ExitCode.CheckFailed}    a check failed: an invocation failed, an object is missing or different
              {(int)ExitCode.MissingTool}    a needed tool or toolchain is missing
              {(int)ExitCode.Cancelled}  interrupted
            """)
        {
            PackageCommand(),
            InvokeCommand(),
            VerifyCommand(),
            BenchCommand(),
            LocalCommand.Create(),
            DemoCommand.Create(),
        };
        return root;
    }

    static Command PackageCommand()
    {
        var command = new Command("package", "Publish the function (Native AOT bootstrap) and the server (self-contained, trimmed) into artifacts/lambda.zip and artifacts/server.zip.")
        {
            Architecture,
            ArtifactsOutput,
        };
        command.SetAction((result, ct) => Run(() =>
            new PackageAction(AnsiConsole.Console).RunAsync(result.GetValue(Architecture)!, result.GetValue(ArtifactsOutput)!, ct)));
        return command;
    }

    static Command InvokeCommand()
    {
        var command = new Command("invoke", "Invoke the function once with an image URL; print its result, the end-to-end time and lambda_ec2_call_time_ms.")
        {
            Url, Function, EndpointUrl, Region, StateDir, Infra,
        };
        command.SetAction((result, ct) => Run(async () =>
        {
            var state = LocalState.Resolve(result.GetValue(StateDir));
            var target = await ResolveTargetAsync(result, state, ct);
            return await new InvokeAction(AnsiConsole.Console).RunAsync(result.GetValue(Url)!, target, new StoredImagesStore(state), ct);
        }));
        return command;
    }

    static Command VerifyCommand()
    {
        var command = new Command("verify", "Check in S3 that every image the last invoke or bench stored exists with the reported size and SHA-256, and that S3's own SHA-256 checksum of it (full-object or multipart composite) is present and is that of its bytes.")
        {
            StateDir,
        };
        command.SetAction((result, ct) => Run(() =>
            new VerifyAction(AnsiConsole.Console).RunAsync(new StoredImagesStore(LocalState.Resolve(result.GetValue(StateDir))), ct)));
        return command;
    }

    static Command BenchCommand()
    {
        var command = new Command("bench", "Invoke the function at one or more concurrency levels; print throughput, latency percentiles, statuses and cold starts; write JSON, CSV and PNG plots.")
        {
            Url, Requests, Concurrency, Rate, Duration, Preset, BenchOutput, Function, EndpointUrl, Region, StateDir, Infra,
        };
        command.SetAction((result, ct) => Run(async () =>
        {
            var url = result.GetValue(Url)!;
            var settings = result.GetValue(Preset) == "lab"
                ? BenchSettings.Lab(url)
                : new BenchSettings(url, result.GetValue(Concurrency)!, result.GetValue(Requests), result.GetValue(Rate), result.GetValue(Duration));
            settings.Validate();
            var state = LocalState.Resolve(result.GetValue(StateDir));
            var target = await ResolveTargetAsync(result, state, ct);
            return await new BenchAction(AnsiConsole.Console).RunAsync(settings, result.GetValue(BenchOutput)!, target, new StoredImagesStore(state), ct);
        }));
        return command;
    }

    static Task<InvokeTarget> ResolveTargetAsync(ParseResult result, LocalState state, CancellationToken ct) =>
        InvokeTarget.ResolveAsync(result.GetValue(Function), result.GetValue(EndpointUrl), result.GetValue(Region), state, result.GetValue(Infra)!, ct);

    /// <summary>Runs an action; problems the user can fix are printed as their message alone.</summary>
    internal static async Task<int> Run(Func<Task<ExitCode>> action)
    {
        try
        {
            return (int)await action();
        }
        catch (UserException e)
        {
            await Console.Error.WriteLineAsync($"hybrid: {e.Message}");
            return (int)e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("hybrid: interrupted.");
            return (int)ExitCode.Cancelled;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"hybrid: unexpected error: {e.GetType().Name}: {e.Message}");
            return (int)ExitCode.Error;
        }
    }

    static string CommandPath(System.CommandLine.Parsing.CommandResult result) =>
        result.Parent is System.CommandLine.Parsing.CommandResult parent ? $"{CommandPath(parent)} {result.Command.Name}" : "hybrid";

    static T? Parsed<T>(System.CommandLine.Parsing.ArgumentResult result, T? value, string error)
    {
        if (value is null)
        {
            result.AddError($"{error}, not '{result.Tokens[0].Value}'.");
        }
        return value;
    }

    static Uri? ParseUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;

    internal static int[]? ParseLevels(string value)
    {
        var levels = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(level => int.TryParse(level, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : -1)
            .ToArray();
        return levels.Length > 0 && levels.All(n => n > 0) ? levels : null;
    }

    internal static TimeSpan? ParseDuration(string value)
    {
        var (number, unit) = value.Length > 0 && char.IsLetter(value[^1]) ? (value[..^1], value[^1]) : (value, 's');
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount <= 0 || !"smh".Contains(unit))
        {
            return null;
        }
        return unit switch { 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => TimeSpan.FromSeconds(amount) };
    }
}
