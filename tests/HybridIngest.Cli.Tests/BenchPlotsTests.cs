using System.Buffers.Binary;
using HybridIngest.Contracts;
using ScottPlot;

namespace HybridIngest.Cli.Tests;

public sealed class BenchPlotsTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-plots-test").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(90, 1)]
    [InlineData(99, 2)]
    [InlineData(99.9, 3)]
    public void PutsPercentilesOnHdrHistogramsLogAxis(double percentile, double x) =>
        Assert.Equal(x, BenchPlots.PercentileX(percentile), precision: 9);

    [Fact]
    public void TheCurveHoldsTheSuccessfulInvocationsSortedFromZeroWithTheirColdStarts()
    {
        BenchSample[] samples = [Sample(1, 30), Sample(2, 10, coldStart: true), Sample(3, 5, error: "download_failed"), Sample(4, 20), Sample(5, 40)];

        var curve = BenchPlots.PercentileCurve(samples);

        Assert.Equal([10.0, 20, 30, 40], curve.Select(p => p.LatencyMs));
        Assert.Equal([true, false, false, false], curve.Select(p => p.ColdStart));
        Assert.Equal(0, curve[0].X);
        Assert.Equal(BenchPlots.PercentileX(75), curve[^1].X, precision: 9);
        Assert.True(curve.Zip(curve.Skip(1)).All(pair => pair.First.X < pair.Second.X));
    }

    [Fact]
    public void DrawsOnePanelPerConcurrencyLevel()
    {
        var results = Results([Sample(1, 12, concurrency: 1), Sample(2, 15, concurrency: 1, coldStart: true), Sample(1, 30, concurrency: 8), Sample(2, 3, concurrency: 8, error: "overloaded"), Sample(1, 9, concurrency: 32)]);
        var overTime = Path.Combine(_directory, "over-time.png");
        var distribution = Path.Combine(_directory, "distribution.png");

        BenchPlots.SaveLatencyOverTime(results, overTime);
        BenchPlots.SaveLatencyDistribution(results, distribution);

        Assert.Equal(3, BenchPlots.LatencyOverTime(results).Count());
        Assert.Equal(3, BenchPlots.LatencyDistribution(results).Count());
        Assert.Equal((BenchPlots.Width, 3 * BenchPlots.PanelHeight), PngSize(overTime));
        Assert.Equal((BenchPlots.Width, 3 * BenchPlots.PanelHeight), PngSize(distribution));
    }

    [Fact]
    public void DrawsARunWithNoSampleAsOneEmptyPanel()
    {
        var path = Path.Combine(_directory, "empty.png");

        BenchPlots.SaveLatencyDistribution(Results([]), path);

        Assert.Equal(1, BenchPlots.LatencyDistribution(Results([])).Count());
        Assert.Equal((BenchPlots.Width, BenchPlots.PanelHeight), PngSize(path));
    }

    static BenchSample Sample(int sequence, double endToEndMs, int concurrency = 1, bool coldStart = false, string? error = null) => new()
    {
        Concurrency = concurrency,
        Sequence = sequence,
        StartOffsetMs = sequence * 100,
        EndToEndMs = endToEndMs,
        LambdaEc2CallTimeMs = error is null ? endToEndMs / 2 : null,
        InvokeStatus = 200,
        FunctionStatus = error is null ? 200 : 502,
        Error = error,
        ColdStart = coldStart,
    };

    static BenchResults Results(BenchSample[] samples) => new()
    {
        StartedAt = DateTimeOffset.UtcNow,
        FunctionName = "f",
        ImageUrl = "http://origin.test/a.png",
        Levels = [],
        Samples = samples,
    };

    // A PNG's IHDR chunk: width and height, big-endian, at bytes 16 and 20.
    static (int, int) PngSize(string path)
    {
        var header = File.ReadAllBytes(path).AsSpan(0, 24);
        return (BinaryPrimitives.ReadInt32BigEndian(header[16..]), BinaryPrimitives.ReadInt32BigEndian(header[20..]));
    }
}
