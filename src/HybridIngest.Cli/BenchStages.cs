using System.Globalization;
using HybridIngest.Contracts;
using ScottPlot;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>
/// Where an invocation's time went, from what the bench already has: the client's end-to-end time,
/// the REPORT line's Init Duration and Duration, the function's <c>lambda_ec2_call_time_ms</c> and
/// the server's <c>total_ms</c> and <c>download_ms</c>. Each stage is one measurement minus the one
/// nested in it, so the stages of an invocation add up to its end-to-end time (each is floored at 0:
/// the parts come from different clocks, the server's in whole milliseconds). The server streams the
/// download into the S3 upload, so the two overlap: "S3 write" is what the write adds after the
/// origin's last byte. Only invocations with every timing count (a stored image, a REPORT line).
/// </summary>
public static class BenchStages
{
    public const string BreakdownPng = "stage-breakdown.png";

    /// <summary>A stage: its name in results.json, its label in the table and plot, and how to compute it.</summary>
    public sealed record Stage(string Name, string Label, Func<Timings, double> Of);

    /// <summary>The timings of one invocation that a breakdown needs, all present.</summary>
    public sealed record Timings(double EndToEnd, double Init, double Function, double FunctionToServer, double ServerTotal, double Download);

    public static readonly IReadOnlyList<Stage> All =
    [
        new("invoke_api_host", "Invoke API + host", t => t.EndToEnd - t.Init - t.Function),
        new("init", "init (cold starts)", t => t.Init),
        new("function", "function", t => t.Function - t.FunctionToServer),
        new("function_to_server", "function → server", t => t.FunctionToServer - t.ServerTotal),
        new("download", "download", t => t.Download),
        new("s3_write", "S3 write", t => t.ServerTotal - t.Download),
    ];

    /// <summary>The invocation's timings, or null when one is missing (a failure, no REPORT line, a server that does not report its own).</summary>
    public static Timings? Of(BenchSample sample) =>
        sample is { Error: null, FunctionDurationMs: { } function, LambdaEc2CallTimeMs: { } call, ServerTotalMs: { } total, ServerDownloadMs: { } download }
            ? new Timings(sample.EndToEndMs, sample.InitDurationMs ?? 0, function, call, total, download)
            : null;

    /// <summary>Statistics per stage over the samples that have every timing; null when none has.</summary>
    public static IReadOnlyList<BenchStageSummary>? Summarize(IReadOnlyList<BenchSample> samples)
    {
        var timed = samples.Select(Of).OfType<Timings>().ToList();
        return timed.Count == 0 ? null :
        [
            .. All.Select(stage => new BenchStageSummary
            {
                Stage = stage.Name,
                Ms = BenchStatistics.Latency([.. timed.Select(t => Math.Max(0, stage.Of(t)))]),
            }),
        ];
    }

    /// <summary>One row per stage, one column per level: the stage's mean and its share of the stages' sum.</summary>
    public static Table Table(BenchResults results)
    {
        var levels = results.Levels.Where(l => l.Stages is not null).ToList();
        var table = new Table().AddColumn("Mean per invocation (ms)");
        foreach (var level in levels)
        {
            table.AddColumn(new TableColumn($"concurrency {level.Concurrency.ToString(CultureInfo.InvariantCulture)}").RightAligned());
        }
        foreach (var (stage, index) in All.Select((s, i) => (s, i)))
        {
            table.AddRow([Markup.Escape(stage.Label), .. levels.Select(level =>
            {
                var mean = level.Stages![index].Ms.Mean;
                var share = 100 * mean / level.Stages.Sum(s => s.Ms.Mean);
                return string.Create(CultureInfo.InvariantCulture, $"{mean:0.0} ({share:0}%)");
            })]);
        }
        table.AddRow(["invocations timed", .. levels.Select(l => $"{l.Stages![0].Ms.Count} of {l.Requests}")]);
        return table;
    }

    /// <summary>A stacked bar per level: the stages' means, bottom (the client's side) to top (S3).</summary>
    public static Plot Plot(BenchResults results)
    {
        var plot = new Plot();
        var levels = results.Levels.Where(l => l.Stages is not null).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        foreach (var (level, position) in levels.Select((l, i) => (l, i)))
        {
            double bottom = 0;
            foreach (var (stage, index) in level.Stages!.Select((s, i) => (s, i)))
            {
                bars.Add(new Bar { Position = position, ValueBase = bottom, Value = bottom + stage.Ms.Mean, FillColor = palette.GetColor(index) });
                bottom += stage.Ms.Mean;
            }
        }
        plot.Add.Bars(bars);
        // Top to bottom, as the stack reads.
        foreach (var (stage, index) in All.Select((s, i) => (s, i)).Reverse())
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = stage.Label, FillColor = palette.GetColor(index) });
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. levels.Select((_, i) => (double)i)], [.. levels.Select(l => $"concurrency {l.Concurrency}")]);
        plot.Axes.Margins(bottom: 0);
        plot.Title(levels.Count == 0
            ? $"Per-stage breakdown: {results.FunctionName} (no invocation had every timing)"
            : $"Where the time goes, mean per invocation: {results.FunctionName}");
        plot.YLabel("milliseconds");
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
