using HybridIngest.Contracts;
using ScottPlot;

namespace HybridIngest.Cli;

/// <summary>
/// The bench's two plots, each with one panel per concurrency level on its own axes (a slow level
/// does not squeeze a fast one): end-to-end latency over time, and latency by percentile on
/// HdrHistogram's axis. Failures and cold starts are marked apart from the ordinary invocations;
/// no axis runs below zero.
/// </summary>
public static class BenchPlots
{
    public const int Width = 1200;
    public const int PanelHeight = 400;

    static readonly double[] PercentileTicks = [0, 50, 90, 99, 99.9, 99.99, 99.999];
    static readonly Color EndToEndColor = Colors.SteelBlue;
    static readonly Color ServerColor = Colors.Gray;
    static readonly Color FailureColor = Colors.Red;
    static readonly Color ColdStartColor = Colors.DarkOrange;

    /// <summary>
    /// Where a percentile sits on HdrHistogram's axis: log10 of 1/(1 - p), so 90, 99 and 99.9 are
    /// equally far apart and the tail gets the room instead of being squeezed at the right edge.
    /// </summary>
    public static double PercentileX(double percentile) => Math.Log10(1 / (1 - percentile / 100));

    /// <summary>
    /// The successful invocations of one level by latency, each at its percentile (the i-th of n
    /// sorted at 100·i/n, so the curve starts at 0 and stays finite), with whether it was a cold start.
    /// </summary>
    public static IReadOnlyList<(double X, double LatencyMs, bool ColdStart)> PercentileCurve(IEnumerable<BenchSample> samples)
    {
        var sorted = samples.Where(s => s.Error is null).OrderBy(s => s.EndToEndMs).ToList();
        return [.. sorted.Select((s, i) => (PercentileX(100.0 * i / sorted.Count), s.EndToEndMs, s.ColdStart))];
    }

    public static void SaveLatencyOverTime(BenchResults results, string path) => Save(LatencyOverTime(results), path);

    public static void SaveLatencyDistribution(BenchResults results, string path) => Save(LatencyDistribution(results), path);

    internal static Multiplot LatencyOverTime(BenchResults results) => Panels(results, LatencyOverTime);

    internal static Multiplot LatencyDistribution(BenchResults results) => Panels(results, LatencyByPercentile);

    static void Save(Multiplot multiplot, string path) => multiplot.SavePng(path, Width, PanelHeight * multiplot.Count());

    static List<IGrouping<int, BenchSample>> Levels(BenchResults results) => [.. results.Samples.GroupBy(s => s.Concurrency).OrderBy(g => g.Key)];

    static Multiplot Panels(BenchResults results, Action<Plot, int, IReadOnlyList<BenchSample>> draw)
    {
        var levels = Levels(results);
        var multiplot = new Multiplot();
        // A new Multiplot holds one plot already; this makes it one per level (and one for an empty run).
        multiplot.AddPlots(Math.Max(1, levels.Count));
        for (var i = 0; i < levels.Count; i++)
        {
            draw(multiplot.GetPlot(i), levels[i].Key, [.. levels[i]]);
        }
        if (levels.Count == 0)
        {
            multiplot.GetPlot(0).Title($"No invocation finished: {results.FunctionName}");
        }
        return multiplot;
    }

    // End-to-end latency of every invocation against when it started, the function→server time beneath it.
    static void LatencyOverTime(Plot plot, int concurrency, IReadOnlyList<BenchSample> samples)
    {
        var ok = samples.Where(s => s.Error is null && !s.ColdStart).ToList();
        var cold = samples.Where(s => s.Error is null && s.ColdStart).ToList();
        var failed = samples.Where(s => s.Error is not null).ToList();
        var timed = samples.Where(s => s.LambdaEc2CallTimeMs is not null).ToList();

        Points(plot, ok, s => s.EndToEndMs, $"end to end ({ok.Count})", MarkerShape.FilledCircle, EndToEndColor);
        Points(plot, timed, s => s.LambdaEc2CallTimeMs!.Value, $"function→server ({timed.Count})", MarkerShape.OpenCircle, ServerColor);
        Points(plot, cold, s => s.EndToEndMs, $"cold start ({cold.Count})", MarkerShape.FilledTriangleUp, ColdStartColor);
        Points(plot, failed, s => s.EndToEndMs, $"failed ({failed.Count})", MarkerShape.Eks, FailureColor);

        plot.Title($"Concurrency {concurrency}: latency over time");
        plot.XLabel("seconds since the level started");
        plot.YLabel("latency (ms)");
        plot.Axes.SetLimits(0, Math.Max(1, samples.Max(s => s.StartOffsetMs / 1000)) * 1.05, 0, Top(samples.Select(s => s.EndToEndMs)));
        plot.ShowLegend(Alignment.UpperRight);
    }

    static void Points(Plot plot, IReadOnlyList<BenchSample> samples, Func<BenchSample, double> latency, string legend, MarkerShape shape, Color color)
    {
        if (samples.Count == 0)
        {
            return;
        }
        var points = plot.Add.ScatterPoints(samples.Select(s => s.StartOffsetMs / 1000).ToArray(), samples.Select(latency).ToArray());
        points.LegendText = legend;
        points.MarkerShape = shape;
        points.MarkerSize = shape == MarkerShape.FilledCircle ? 5 : 8;
        points.Color = color;
    }

    // The successful invocations' latency by percentile, p50 and p99 marked, cold starts on the curve.
    static void LatencyByPercentile(Plot plot, int concurrency, IReadOnlyList<BenchSample> samples)
    {
        var curve = PercentileCurve(samples);
        var failed = samples.Count(s => s.Error is not null);
        var right = Math.Max(PercentileX(99.9), curve.Count > 0 ? curve[^1].X : 0);
        if (curve.Count > 0)
        {
            var line = plot.Add.Scatter(curve.Select(p => p.X).ToArray(), curve.Select(p => p.LatencyMs).ToArray());
            line.LegendText = $"end to end, {curve.Count} succeeded";
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = EndToEndColor;
            var cold = curve.Where(p => p.ColdStart).ToList();
            if (cold.Count > 0)
            {
                var marks = plot.Add.ScatterPoints(cold.Select(p => p.X).ToArray(), cold.Select(p => p.LatencyMs).ToArray());
                marks.LegendText = $"cold start ({cold.Count})";
                marks.MarkerShape = MarkerShape.FilledTriangleUp;
                marks.MarkerSize = 9;
                marks.Color = ColdStartColor;
            }
            var summary = BenchStatistics.Latency([.. curve.Select(p => p.LatencyMs)]);
            foreach (var (percentile, value) in new[] { (50.0, summary.P50), (99.0, summary.P99) })
            {
                var marker = plot.Add.VerticalLine(PercentileX(percentile));
                marker.LinePattern = LinePattern.Dashed;
                marker.Color = Colors.Black;
                marker.LabelText = $"p{percentile:0} {value:0.0} ms";
            }
        }

        plot.Title($"Concurrency {concurrency}: end-to-end latency by percentile" +
            (failed > 0 ? $" ({failed} failed, not in the curve: see latency over time)" : ""));
        plot.XLabel("percentile");
        plot.YLabel("end-to-end latency (ms)");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. PercentileTicks.Select(PercentileX).Where(x => x <= right + 1e-9)],
            [.. PercentileTicks.Where(p => PercentileX(p) <= right + 1e-9).Select(p => $"{p}%")]);
        // A little room on the right, so the last tick's label is not cut at the edge.
        plot.Axes.SetLimits(0, right * 1.03, 0, Top(curve.Select(p => p.LatencyMs)));
        plot.ShowLegend(Alignment.UpperLeft);
    }

    static double Top(IEnumerable<double> latencies) => Math.Max(1, latencies.DefaultIfEmpty(0).Max()) * 1.1;
}
