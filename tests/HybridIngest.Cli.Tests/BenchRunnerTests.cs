using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli.Tests;

public sealed class BenchRunnerTests : IAsyncLifetime
{
    FakeInvokeApi _api = null!;
    readonly HttpClient _http = new();
    readonly string _output = Directory.CreateTempSubdirectory("hybrid-bench-test").FullName;

    public async ValueTask InitializeAsync() => _api = await FakeInvokeApi.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_output, recursive: true);
    }

    BenchRunner Runner() => new(new LambdaInvoker(_http, _api.Endpoint, "us-east-1", new Amazon.Runtime.BasicAWSCredentials("AKID", "secret")), FakeInvokeApi.FunctionName);

    [Fact]
    public async Task RunsEveryLevelAndCountsStatusesAndColdStarts()
    {
        var progress = new List<BenchProgress>();
        var report = await Runner().RunAsync(
            new BenchSettings("http://origin.test/cat.png", [1, 4], Requests: 12), _output, new InlineProgress(progress.Add), CancellationToken.None);

        Assert.Equal([1, 4], report.Results.Levels.Select(l => l.Concurrency));
        Assert.All(report.Results.Levels, level =>
        {
            Assert.Equal(12, level.Requests);
            Assert.Equal(12, level.Succeeded);
            Assert.Equal(12, level.StatusCounts["200"]);
            Assert.Empty(level.ErrorCounts);
            Assert.Equal(12, level.EndToEndMs.Count);
            Assert.Equal(7.5, level.LambdaEc2CallTimeMs!.P50, 2);
            Assert.True(level.EndToEndMs.Min <= level.EndToEndMs.P50 && level.EndToEndMs.P50 <= level.EndToEndMs.P99 && level.EndToEndMs.P99 <= level.EndToEndMs.Max);
        });
        Assert.Equal(1, report.Results.Levels.Sum(l => l.ColdStarts));
        Assert.Equal(24, report.StoredImages.Count);
        Assert.Equal(24, progress.Count);
        Assert.True(report.AllSucceeded);
        Assert.All(_api.Requests, r =>
        {
            Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKID/", r.Authorization, StringComparison.Ordinal);
            Assert.Contains("/us-east-1/lambda/aws4_request", r.Authorization, StringComparison.Ordinal);
            Assert.Equal("Tail", r.LogType);
            Assert.Equal("{\"image_url\":\"http://origin.test/cat.png\"}", r.Body);
        });
    }

    [Fact]
    public async Task CountsFunctionErrorsByCode()
    {
        var report = await Runner().RunAsync(new BenchSettings("http://origin.test/fail.png", [2], Requests: 5), _output, null, CancellationToken.None);

        var level = Assert.Single(report.Results.Levels);
        Assert.Equal(0, level.Succeeded);
        Assert.Equal(5, level.StatusCounts["502"]);
        Assert.Equal(5, level.ErrorCounts[ErrorCodes.DownloadFailed]);
        Assert.Empty(report.StoredImages);
        Assert.False(report.AllSucceeded);
    }

    [Fact]
    public async Task CountsInvokeApiErrors()
    {
        var runner = new BenchRunner(new LambdaInvoker(_http, _api.Endpoint, "us-east-1", new Amazon.Runtime.BasicAWSCredentials("AKID", "secret")), "no-such-function");

        var report = await runner.RunAsync(new BenchSettings("http://origin.test/cat.png", [1], Requests: 3), _output, null, CancellationToken.None);

        Assert.Equal(3, report.Results.Levels[0].StatusCounts["invoke_404"]);
        Assert.Equal(3, report.Results.Levels[0].ErrorCounts["invoke_404"]);
    }

    [Fact]
    public async Task WritesJsonCsvAndPngPlots()
    {
        var report = await Runner().RunAsync(new BenchSettings("http://origin.test/cat.png", [1, 3], Requests: 6), _output, null, CancellationToken.None);

        Assert.Equal(Path.GetFullPath(_output), Path.GetDirectoryName(report.OutputDirectory));
        Assert.Equal(
            [BenchOutputs.ResultsJson, BenchOutputs.SamplesCsv, BenchOutputs.LatencyOverTimePng, BenchOutputs.LatencyDistributionPng, BenchStages.BreakdownPng],
            report.Files.Select(Path.GetFileName));

        var json = JsonSerializer.Deserialize(File.ReadAllText(report.Files[0]), HybridIngestJsonContext.Default.BenchResults)!;
        Assert.Equal(12, json.Samples.Count);
        Assert.Equal(2, json.Levels.Count);
        Assert.Equal(FakeInvokeApi.FunctionName, json.FunctionName);

        var csv = File.ReadAllLines(report.Files[1]);
        Assert.Equal(BenchOutputs.CsvHeader, csv[0]);
        Assert.Equal(13, csv.Length);
        Assert.All(csv.Skip(1), line => Assert.Equal(BenchOutputs.CsvHeader.Split(',').Length, line.Split(',').Length));
        Assert.Equal(6, csv.Count(line => line.StartsWith("3,", StringComparison.Ordinal)));

        foreach (var png in report.Files.Skip(2))
        {
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 1000, $"{png} is only {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }

    [Fact]
    public async Task KeepsTheTimingsOfEveryStageFromTheReportLineAndTheServersAnswer()
    {
        var report = await Runner().RunAsync(new BenchSettings("http://origin.test/cat.png", [1], Requests: 3), _output, null, CancellationToken.None);

        // The fake's REPORT Duration 10 ms; the function's call 7.5 ms; the server's total 3 ms, download 1 ms.
        Assert.All(report.Results.Samples, s => Assert.Equal((10.0, 3.0, 1.0), (s.FunctionDurationMs, s.ServerTotalMs, s.ServerDownloadMs)));
        var stages = Assert.Single(report.Results.Levels).Stages!.ToDictionary(s => s.Stage, s => s.Ms);
        Assert.Equal(BenchStages.All.Select(s => s.Name), stages.Keys);
        Assert.Equal(3, stages["function"].Count);
        Assert.Equal(2.5, stages["function"].Mean);
        Assert.Equal(4.5, stages["function_to_server"].Mean);
        Assert.Equal(1, stages["download"].Mean);
        Assert.Equal(2, stages["s3_write"].Mean);
        Assert.Equal(12.34 / 3, stages["init"].Mean, 6);
    }

    [Fact]
    public async Task StopsALevelWhenItsDurationIsOver()
    {
        // A zero-length window: the first worker to look finds it over, so nothing is sent.
        var report = await Runner().RunAsync(
            new BenchSettings("http://origin.test/cat.png", [2], Duration: TimeSpan.FromTicks(1)), _output, null, CancellationToken.None);

        Assert.Equal(0, report.Results.Levels[0].Requests);
        Assert.Null(report.Results.RequestsPerLevel);
    }

    [Fact]
    public async Task KeepsWhatWasMeasuredWhenCancelled()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress(p =>
        {
            if (p.Completed == 5)
            {
                cancel.Cancel();
            }
        });

        var report = await Runner().RunAsync(new BenchSettings("http://origin.test/cat.png", [1, 8], Requests: 100), _output, progress, cancel.Token);

        Assert.True(report.Results.Interrupted);
        Assert.False(report.AllSucceeded);
        var level = Assert.Single(report.Results.Levels);
        Assert.Equal((1, 5, 5), (level.Concurrency, level.Requests, level.Succeeded));
        Assert.Equal(5, report.StoredImages.Count);
        Assert.All(report.Files, file => Assert.True(File.Exists(file), file));
    }

    [Fact]
    public void LabPresetIsSequentialOneRequestPerSecondForFiveMinutes()
    {
        var lab = BenchSettings.Lab("http://origin.test/cat.png");

        Assert.Equal([1], lab.ConcurrencyLevels);
        Assert.Equal(1, lab.RatePerSecond);
        Assert.Equal(TimeSpan.FromSeconds(300), lab.Duration);
        Assert.Null(lab.Requests);
    }

    [Fact]
    public void PercentilesComeFromTheSamples()
    {
        var summary = BenchStatistics.Latency([.. Enumerable.Range(1, 100).Select(i => (double)i)]);

        Assert.Equal(100, summary.Count);
        Assert.Equal(1, summary.Min);
        Assert.Equal(100, summary.Max);
        Assert.Equal(50.5, summary.Mean);
        Assert.Equal(50, summary.P50, 1);
        Assert.Equal(90, summary.P90, 1);
        Assert.Equal(99, summary.P99, 1);
    }

    [Fact]
    public void PercentilesNeverExceedTheLargestSample()
    {
        // 124.6 ms falls in a histogram bucket whose top is above it.
        var summary = BenchStatistics.Latency([16.0, 30.7, 124.6]);

        Assert.Equal(124.6, summary.P99);
        Assert.Equal(124.6, summary.Max);
    }

    sealed class InlineProgress(Action<BenchProgress> report) : IProgress<BenchProgress>
    {
        readonly Lock _gate = new();

        public void Report(BenchProgress value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
