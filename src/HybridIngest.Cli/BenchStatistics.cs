using HdrHistogram;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>Per-level statistics of bench samples (percentiles through HdrHistogram, in microseconds).</summary>
public static class BenchStatistics
{
    // One hour in microseconds, three significant digits: 0.1 % resolution over any latency we can see.
    const long HighestTrackableMicroseconds = 3_600_000_000;

    public static BenchLevel Summarize(int concurrency, IReadOnlyList<BenchSample> samples, TimeSpan elapsed)
    {
        var succeeded = samples.Where(s => s.Error is null).ToList();
        var lambdaEc2 = samples.Where(s => s.LambdaEc2CallTimeMs is not null).Select(s => s.LambdaEc2CallTimeMs!.Value).ToList();
        return new BenchLevel
        {
            Concurrency = concurrency,
            Requests = samples.Count,
            Succeeded = succeeded.Count,
            DurationSeconds = elapsed.TotalSeconds,
            ThroughputPerSecond = elapsed > TimeSpan.Zero ? succeeded.Count / elapsed.TotalSeconds : 0,
            EndToEndMs = Latency(samples.Select(s => s.EndToEndMs).ToList()),
            LambdaEc2CallTimeMs = lambdaEc2.Count == 0 ? null : Latency(lambdaEc2),
            StatusCounts = Count(samples.Select(Status)),
            ErrorCounts = Count(samples.Where(s => s.Error is not null).Select(s => s.Error!)),
            ColdStarts = samples.Count(s => s.ColdStart),
            Stages = BenchStages.Summarize(samples),
        };
    }

    /// <summary>min, mean, p50, p90, p99 and max of a series of milliseconds (all zero when empty).</summary>
    public static LatencySummary Latency(IReadOnlyList<double> milliseconds)
    {
        if (milliseconds.Count == 0)
        {
            return new LatencySummary { Count = 0, Min = 0, Mean = 0, P50 = 0, P90 = 0, P99 = 0, Max = 0 };
        }
        var histogram = new LongHistogram(HighestTrackableMicroseconds, 3);
        foreach (var value in milliseconds)
        {
            histogram.RecordValue(Math.Clamp((long)Math.Round(value * 1000), 0, HighestTrackableMicroseconds));
        }
        var (min, max) = (milliseconds.Min(), milliseconds.Max());
        // A percentile is the top of its histogram bucket, which can lie a hair above the largest sample.
        double Percentile(double percentile) => Math.Clamp(histogram.GetValueAtPercentile(percentile) / 1000.0, min, max);
        return new LatencySummary
        {
            Count = milliseconds.Count,
            Min = min,
            Mean = milliseconds.Average(),
            P50 = Percentile(50),
            P90 = Percentile(90),
            P99 = Percentile(99),
            Max = max,
        };
    }

    /// <summary>The function's statusCode, else the Invoke API's status, else no_answer.</summary>
    public static string Status(BenchSample sample) =>
        sample.FunctionStatus is { } status ? status.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : sample.InvokeStatus == 0 ? "no_answer"
        : $"invoke_{sample.InvokeStatus}";

    static Dictionary<string, int> Count(IEnumerable<string> values) =>
        values.GroupBy(v => v, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
