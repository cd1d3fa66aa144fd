using System.CommandLine;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid bench</c>: invoke at one or more concurrency levels and write the results.</summary>
public static class BenchCommand
{
    static readonly Option<int?> Requests = OptionKinds.OptionalCount("--requests",
        $"Invocations per concurrency level (default {BenchSettings.DefaultRequests}, or unbounded when --duration is given).", 1, int.MaxValue);
    static readonly Option<int[]> Concurrency = OptionKinds.Counts("--concurrency",
        "Concurrency levels to run in turn, comma-separated.", 1, BenchSettings.MaxConcurrency, [1, 8, 32]);
    static readonly Option<double?> Rate = OptionKinds.OptionalPositiveNumber("--rate",
        "Start at most R invocations per second per level (default: as fast as the answers come).", BenchSettings.MaxRatePerSecond);
    static readonly Option<TimeSpan?> Duration = OptionKinds.OptionalDuration("--duration",
        "Stop each level after this long: seconds, or a number with s, m or h (e.g. 300, 90s, 5m); at most 24h.");
    static readonly Option<string?> Preset = OptionKinds.Choice<string?>("--preset",
        "lab: the seed lab's benchmark (sequential, 1 request/s for 300 s); other options are ignored except the target.", ["lab"]);
    static readonly Option<string> Output = WithDefault(OptionKinds.Text<string>("--output",
        "Directory that receives one <timestamp>/ directory per run (results.json, samples.csv, PNG plots).", "a directory path"), "bench-results");

    public static Command Create()
    {
        var command = new Command("bench", "Invoke the function at one or more concurrency levels; print throughput, latency percentiles, statuses and cold starts; write JSON, CSV and PNG plots.")
        {
            Url, Requests, Concurrency, Rate, Duration, Preset, Output, Function, EndpointUrl, SharedOptions.Region, StateDir, Infra,
        };
        command.SetAction((result, ct) => CommandAction.Run(async () =>
        {
            var url = result.GetValue(Url)!;
            var settings = result.GetValue(Preset) == "lab"
                ? BenchSettings.Lab(url)
                : new BenchSettings(url, result.GetValue(Concurrency)!, result.GetValue(Requests), result.GetValue(Rate), result.GetValue(Duration));
            settings.Validate();
            var state = LocalState.Resolve(result.GetValue(StateDir));
            var target = await ResolveTargetAsync(result, state, ct);
            return await new BenchAction(AnsiConsole.Console).RunAsync(settings, result.GetValue(Output)!, target, new StoredImagesStore(state), ct);
        }));
        return command;
    }
}
