using System.Globalization;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// The files of a bench run: results.json (settings, statistics, samples), samples.csv, and the two
/// PNG plots of <see cref="BenchPlots"/> (latency over time; latency by percentile).
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
        var files = new[] { ResultsJson, SamplesCsv, LatencyOverTimePng, LatencyDistributionPng }.Select(f => Path.Combine(directory, f)).ToList();
        File.WriteAllText(files[0], JsonSerializer.Serialize(results, Indented.BenchResults));
        File.WriteAllText(files[1], Csv(results.Samples));
        BenchPlots.SaveLatencyOverTime(results, files[2]);
        BenchPlots.SaveLatencyDistribution(results, files[3]);
        return files;
    }

    public const string CsvHeader = "concurrency,sequence,start_offset_ms,end_to_end_ms,lambda_ec2_call_time_ms,invoke_status,function_status,error,cold_start,init_duration_ms";

    public static string Csv(IEnumerable<BenchSample> samples)
    {
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var s in samples)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{s.Concurrency},{s.Sequence},{s.StartOffsetMs:0.###},{s.EndToEndMs:0.###},{s.LambdaEc2CallTimeMs:0.###},{s.InvokeStatus},{s.FunctionStatus},{s.Error},{(s.ColdStart ? "true" : "false")},{s.InitDurationMs:0.###}\n");
        }
        return csv.ToString();
    }
}
