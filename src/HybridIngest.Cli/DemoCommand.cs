using System.CommandLine;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid demo</c>: the whole pipeline on this machine in one command.</summary>
public static class DemoCommand
{
    static readonly Option<string?> StateDir = OptionKinds.Text<string?>("--state-dir",
        $"Directory of the demo's stack state (default: ${LocalState.EnvironmentVariable}/demo, else ./.hybrid/demo; apart from 'local up's own stack).", "a directory path");
    static readonly Option<int> Requests = OptionKinds.Count("--requests",
        "Bench invocations per concurrency level.", 1, int.MaxValue, DemoOptions.DefaultRequests);
    static readonly Option<int[]> Concurrency = OptionKinds.Counts("--concurrency",
        "Bench concurrency levels, comma-separated.", 1, BenchSettings.MaxConcurrency, DemoOptions.DefaultConcurrency);
    static readonly Option<string> Output = SharedOptions.WithDefault(OptionKinds.Text<string>("--output",
        "Directory under which the bench's results and plots (<timestamp>/) are written.", "a directory path"), "bench-results");

    public static Command Create()
    {
        var command = new Command("demo", "Offline, in one go: package if needed, local up, invoke the function once per sample image (JPEG, PNG, GIF, WebP from a local origin), a short concurrent bench, verify every object in S3, report; then tear everything down (also on failure or Ctrl+C).")
        {
            StateDir, SharedOptions.Artifacts, Requests, Concurrency, Output,
        };
        command.SetAction((result, ct) => CommandAction.Run(() =>
        {
            var state = result.GetValue(StateDir) is { Length: > 0 } explicitDirectory
                ? new LocalState(explicitDirectory)
                : new LocalState(Path.Combine(LocalState.Resolve().Directory, "demo"));
            var options = new DemoOptions(result.GetValue(SharedOptions.Artifacts)!, result.GetValue(Output)!, result.GetValue(Requests), result.GetValue(Concurrency)!);
            return new Demo(state, Packager.FindRepositoryRoot(), AnsiConsole.Console).RunAsync(options, ct);
        }));
        return command;
    }
}
