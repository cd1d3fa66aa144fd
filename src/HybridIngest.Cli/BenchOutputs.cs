using System.Globalization;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// The files of a bench run: results.json (settings, statistics, samples), samples.csv, and three PNG
/// plots: latency over time and latency by percentile (<see cref="BenchPlots"/>), and the per-stage
/// breakdown (<see cref="BenchStages"/>).
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
        BenchPlots.SaveLatencyOverTime(results, files[2]);
        BenchPlots.SaveLatencyDistribution(results, files[3]);
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
}
