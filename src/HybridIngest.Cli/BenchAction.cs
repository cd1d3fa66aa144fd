using System.Globalization;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid bench</c>: a <see cref="BenchRunner"/> run with a live progress bar and a summary table.</summary>
public sealed class BenchAction(IAnsiConsole console)
{
    public async Task<ExitCode> RunAsync(BenchSettings settings, string outputRoot, InvokeTarget target, StoredImagesStore store, CancellationToken cancellationToken)
    {
        settings.Validate();
        console.MarkupLineInterpolated($"Benchmarking [bold]{target.FunctionName}[/] at {target.LambdaEndpoint} ({target.Source})");

        using var http = LambdaInvoker.CreateHttpClient();
        var runner = new BenchRunner(target.CreateInvoker(http), target.FunctionName);
        BenchReport report = null!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var tasks = settings.ConcurrencyLevels.Distinct().ToDictionary(c => c, c => context.AddTask($"concurrency {c}", autoStart: false));
                var progress = new SynchronousProgress<BenchProgress>(p =>
                {
                    var task = tasks[p.Concurrency];
                    task.StartTask();
                    task.Description = $"concurrency {p.Concurrency}: {p.Completed} done, {p.Failed} failed";
                    task.Value = p.Total is { } total ? 100.0 * p.Completed / total
                        : p.Duration is { } duration ? Math.Min(100, 100 * p.Elapsed / duration) : 0;
                });
                report = await runner.RunAsync(settings, outputRoot, progress, cancellationToken);
                foreach (var task in tasks.Values)
                {
                    task.Value = 100;
                    task.StopTask();
                }
            });

        if (report.Results.Interrupted)
        {
            console.MarkupLine("[yellow]Interrupted: the results below are what was measured until then.[/]");
        }
        if (report.Results.Levels.Count > 0)
        {
            console.Write(SummaryTable(report.Results));
        }
        if (report.Results.Levels.Any(l => l.Stages is not null))
        {
            console.MarkupLine("Where the time went (Invoke API + host = end to end minus the function's REPORT Duration and init; S3 write = what the upload adds after the origin's last byte):");
            console.Write(BenchStages.Table(report.Results));
        }
        console.MarkupLineInterpolated($"Results and plots: [bold]{report.OutputDirectory}[/]");
        foreach (var file in report.Files)
        {
            console.MarkupLineInterpolated($"  {Path.GetFileName(file)}");
        }

        if (report.StoredImages.Count > 0)
        {
            store.Save(new StoredImagesFile
            {
                Source = "bench",
                CreatedAt = DateTimeOffset.UtcNow,
                Region = target.Region,
                S3Endpoint = target.S3Endpoint?.ToString(),
                Images = report.StoredImages,
            });
            console.MarkupLineInterpolated($"Saved {report.StoredImages.Count} stored image(s) to {store.Path} (check them with 'hybrid verify').");
        }
        return report.Results.Interrupted ? ExitCode.Cancelled
            : report.AllSucceeded ? ExitCode.Success
            : ExitCode.CheckFailed;
    }

    /// <summary>
    /// One column per concurrency level, one row per measure (narrow enough for an 80-column
    /// terminal with a few levels): throughput, latency percentiles, statuses, errors, cold starts.
    /// </summary>
    public static Table SummaryTable(BenchResults results)
    {
        var table = new Table().AddColumn("Concurrency");
        foreach (var level in results.Levels)
        {
            table.AddColumn(new TableColumn(level.Concurrency.ToString(CultureInfo.InvariantCulture)).RightAligned());
        }
        void Row(string measure, Func<BenchLevel, string> value) =>
            table.AddRow([measure, .. results.Levels.Select(level => Markup.Escape(value(level)))]);

        Row("requests", l => l.Requests.ToString(CultureInfo.InvariantCulture));
        Row("succeeded", l => l.Succeeded.ToString(CultureInfo.InvariantCulture));
        Row("throughput (/s)", l => l.ThroughputPerSecond.ToString("0.0", CultureInfo.InvariantCulture));
        foreach (var (name, series) in new (string, Func<BenchLevel, LatencySummary?>)[]
        {
            ("end to end", l => l.EndToEndMs),
            ("function→server", l => l.LambdaEc2CallTimeMs),
        })
        {
            foreach (var (statistic, pick) in new (string, Func<LatencySummary, double>)[]
            {
                ("min", s => s.Min), ("p50", s => s.P50), ("p90", s => s.P90), ("p99", s => s.P99), ("max", s => s.Max),
            })
            {
                Row($"{name} {statistic} (ms)", l => series(l) is { Count: > 0 } summary ? pick(summary).ToString("0.0", CultureInfo.InvariantCulture) : "-");
            }
        }
        Row("statuses", l => Counts(l.StatusCounts));
        Row("errors", l => Counts(l.ErrorCounts));
        Row("cold starts", l => l.ColdStarts.ToString(CultureInfo.InvariantCulture));
        return table;
    }

    static string Counts(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "-" : string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value}"));

    // Progress<T> posts to the thread pool; the progress display wants the update now, in order.
    sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
