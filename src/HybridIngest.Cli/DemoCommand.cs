using System.CommandLine;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid demo</c>: the whole pipeline on this machine in one command.</summary>
public static class DemoCommand
{
    static readonly Option<string?> StateDir = new("--state-dir")
    {
        Description = $"Directory of the demo's stack state (default: ${LocalState.EnvironmentVariable}/demo, else ./.hybrid/demo; apart from 'local up's own stack).",
    };
    static readonly Option<int> Requests = new("--requests")
    {
        Description = "Bench invocations per concurrency level.",
        DefaultValueFactory = _ => DemoOptions.DefaultRequests,
    };
    static readonly Option<int[]> Concurrency = new("--concurrency")
    {
        Description = "Bench concurrency levels, comma-separated.",
        DefaultValueFactory = _ => [.. DemoOptions.DefaultConcurrency],
        CustomParser = result => Program.ParseLevels(result.Tokens[0].Value),
    };
    static readonly Option<string> BenchOutput = new("--output")
    {
        Description = "Directory under which the bench's results and plots (<timestamp>/) are written.",
        DefaultValueFactory = _ => "bench-results",
    };

    public static Command Create()
    {
        Requests.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--requests must be at least 1.");
            }
        });
        var command = new Command("demo", "Offline, in one go: package if needed, local up, invoke the function once per sample image (JPEG, PNG, GIF, WebP from a local origin), a short concurrent bench, verify every object in S3, report; then tear everything down (also on failure or Ctrl+C).")
        {
            StateDir, LocalCommand.Artifacts, Requests, Concurrency, BenchOutput,
        };
        command.SetAction((result, ct) => Program.Run(() =>
        {
            var state = result.GetValue(StateDir) is { Length: > 0 } explicitDirectory
                ? new LocalState(explicitDirectory)
                : new LocalState(Path.Combine(LocalState.Resolve().Directory, "demo"));
            var options = new DemoOptions(result.GetValue(LocalCommand.Artifacts)!, result.GetValue(BenchOutput)!, result.GetValue(Requests), result.GetValue(Concurrency)!);
            return new Demo(state, Packager.FindRepositoryRoot(), AnsiConsole.Console).RunAsync(options, ct);
        }));
        return command;
    }
}
