using System.Globalization;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using ScottPlot;

namespace HybridIngest.Cli;

/// <summary>
/// The files of a bench run: results.json (settings, statistics, samples), samples.csv, and three PNG
/// plots (latency over time; latency by percentile per concurrency level; the per-stage breakdown,
/// <see cref="BenchStages"/>).
/// </summary>
public static class BenchOutputs
{
    public const string ResultsJson = "results.json";
    public const string SamplesCsv = "samples.csv";
    public const string LatencyOverTimePng = "latency-over-time.png";
    public const string LatencyDistributionPng = "latency-distribution.png";

    static readonly HybridIngestJsonContext Indented = new(new JsonSerializerOptions(HybridIngestJsonContext.Default.Options) { WriteIndented = true });

    public static IReadOnlyList<string> Write(BenchResults results, string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new[] { ResultsJson, SamplesCsv, LatencyOverTimePng, LatencyDistributionPng, BenchStages.BreakdownPng }.Select(f => Path.Combine(directory, f)).ToList();
        File.WriteAllText(files[0], JsonSerializer.Serialize(results, Indented.BenchResults));
        File.WriteAllText(files[1], Csv(results.Samples));
        LatencyOverTime(results).SavePng(files[2], 1200, 700);
        LatencyDistribution(results).SavePng(files[3], 1200, 700);
        BenchStages.Plot(results).SavePng(files[4], 1200, 700);
        return files;
    }

    public const string CsvHeader = "concurrency,sequence,start_offset_ms,end_to_end_ms,lambda_ec2_call_time_ms,invoke_status,function_status,error,cold_start,init_duration_ms,function_duration_ms,server_total_ms,server_download_ms";

    public static string Csv(IEnumerable<BenchSample> samples)
    {
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var s in samples)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{s.Concurrency},{s.Sequence},{s.StartOffsetMs:0.###},{s.EndToEndMs:0.###},{s.LambdaEc2CallTimeMs:0.###},{s.InvokeStatus},{s.FunctionStatus},{s.Error},{(s.ColdStart ? "true" : "false")},{s.InitDurationMs:0.###},{s.FunctionDurationMs:0.###},{s.ServerTotalMs:0.###},{s.ServerDownloadMs:0.###}\n");
        }
        return csv.ToString();
    }

    // End-to-end latency of every invocation against when it started, one series per level, with
    // the function→server time beneath it.
    static Plot LatencyOverTime(BenchResults results)
    {
        var plot = new Plot();
        foreach (var level in results.Samples.GroupBy(s => s.Concurrency))
        {
            var samples = level.ToList();
            var endToEnd = plot.Add.ScatterPoints(samples.Select(s => s.StartOffsetMs / 1000).ToArray(), samples.Select(s => s.EndToEndMs).ToArray());
            endToEnd.LegendText = $"end to end, concurrency {level.Key}";
            var timed = samples.Where(s => s.LambdaEc2CallTimeMs is not null).ToList();
            if (timed.Count > 0)
            {
                var server = plot.Add.ScatterPoints(timed.Select(s => s.StartOffsetMs / 1000).ToArray(), timed.Select(s => s.LambdaEc2CallTimeMs!.Value).ToArray());
                server.LegendText = $"function→server, concurrency {level.Key}";
                server.MarkerShape = MarkerShape.OpenCircle;
            }
        }
        plot.Title($"Latency over time: {results.FunctionName}");
        plot.XLabel("seconds since the level started");
        plot.YLabel("latency (ms)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    // Latency by percentile (sorted samples), one curve per level: the whole distribution, tail included.
    static Plot LatencyDistribution(BenchResults results)
    {
        var plot = new Plot();
        foreach (var level in results.Samples.GroupBy(s => s.Concurrency))
        {
            var sorted = level.Select(s => s.EndToEndMs).Order().ToArray();
            var percentiles = Enumerable.Range(0, sorted.Length).Select(i => sorted.Length == 1 ? 100.0 : 100.0 * i / (sorted.Length - 1)).ToArray();
            var line = plot.Add.Scatter(percentiles, sorted);
            line.LegendText = $"concurrency {level.Key}";
            line.MarkerSize = 0;
        }
        plot.Title($"End-to-end latency distribution per concurrency level: {results.FunctionName}");
        plot.XLabel("percentile");
        plot.YLabel("end-to-end latency (ms)");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
