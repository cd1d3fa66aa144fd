using HybridIngest.Contracts;
using Spectre.Console.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>The per-stage breakdown of <c>hybrid bench</c>, from a run's data made here.</summary>
public sealed class BenchStagesTests : IDisposable
{
    readonly string _output = Directory.CreateTempSubdirectory("hybrid-stages-test").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    static BenchSample Timed(int concurrency, int sequence, double endToEnd, double? init, double duration, double call, double total, double download) => new()
    {
        Concurrency = concurrency,
        Sequence = sequence,
        StartOffsetMs = sequence,
        EndToEndMs = endToEnd,
        LambdaEc2CallTimeMs = call,
        InvokeStatus = 200,
        FunctionStatus = 200,
        ColdStart = init is not null,
        InitDurationMs = init,
        FunctionDurationMs = duration,
        ServerTotalMs = total,
        ServerDownloadMs = download,
    };

    static readonly BenchSample[] LevelOne =
    [
        // end to end 100 = invoke 10 + init 40 + function 5 + function→server 15 + download 20 + S3 write 10.
        Timed(1, 0, 100, 40, 50, 45, 30, 20),
        // end to end 40 = invoke 6 + function 4 + function→server 6 + download 16 + S3 write 8.
        Timed(1, 1, 40, null, 34, 30, 24, 16),
        // A failure and an answer from a server that does not time itself: not in the breakdown.
        Timed(1, 2, 30, null, 20, 10, 0, 0) with { Error = ErrorCodes.DownloadFailed, FunctionStatus = 502, ServerTotalMs = null, ServerDownloadMs = null },
        Timed(1, 3, 30, null, 20, 10, 0, 0) with { ServerTotalMs = null, ServerDownloadMs = null },
    ];

    static readonly BenchSample[] LevelEight = [Timed(8, 0, 200, null, 150, 140, 100, 60)];

    static BenchResults Results() => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        FunctionName = "hybrid-ingest-test",
        ImageUrl = "http://origin.test/cat.png",
        Levels = [BenchStatistics.Summarize(1, LevelOne, TimeSpan.FromSeconds(1)), BenchStatistics.Summarize(8, LevelEight, TimeSpan.FromSeconds(1))],
        Samples = [.. LevelOne, .. LevelEight],
    };

    [Fact]
    public void StagesSplitEachTimedInvocationAndAddUpToItsEndToEndTime()
    {
        var level = Results().Levels[0];

        var means = level.Stages!.ToDictionary(s => s.Stage, s => s.Ms.Mean);
        Assert.Equal(
            new Dictionary<string, double> { ["invoke_api_host"] = 8, ["init"] = 20, ["function"] = 4.5, ["function_to_server"] = 10.5, ["download"] = 18, ["s3_write"] = 9 },
            means);
        Assert.All(level.Stages!, s => Assert.Equal(2, s.Ms.Count));
        Assert.Equal((100 + 40) / 2.0, means.Values.Sum());
    }

    [Fact]
    public void AStageIsNeverNegative()
    {
        // The server's whole milliseconds can exceed the function's fractional call time.
        var stages = BenchStages.Summarize([Timed(1, 0, 20, null, 12, 10.4, 11, 5)])!;

        Assert.Equal(0, stages.Single(s => s.Stage == "function_to_server").Ms.Max);
    }

    [Fact]
    public void NoStagesWithoutAnInvocationThatHasEveryTiming()
    {
        var level = BenchStatistics.Summarize(1, [LevelOne[2], LevelOne[3]], TimeSpan.FromSeconds(1));

        Assert.Null(level.Stages);
    }

    [Fact]
    public void TableShowsEachStagesMeanAndShareForEveryLevel()
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        console.Profile.Width = 200;

        console.Write(BenchStages.Table(Results()));

        var lines = console.Output.Split('\n');
        string Row(string label) => lines.Single(l => l.Contains(label, StringComparison.Ordinal));
        Assert.Contains("concurrency 8", Row("concurrency 1"), StringComparison.Ordinal);
        Assert.Matches(@"Invoke API \+ host\s*│\s*8\.0 \(11%\)\s*│\s*50\.0 \(25%\)", Row("Invoke API + host"));
        Assert.Matches(@"S3 write\s*│\s*9\.0 \(13%\)\s*│\s*40\.0 \(20%\)", Row("S3 write"));
        Assert.Matches(@"invocations timed\s*│\s*2 of 4\s*│\s*1 of 1", Row("invocations timed"));
    }

    [Fact]
    public void PlotIsAPngWithAStackPerLevel()
    {
        var file = Path.Combine(_output, BenchStages.BreakdownPng);

        BenchStages.Plot(Results()).SavePng(file, 1200, 700);
        var empty = Path.Combine(_output, "empty.png");
        BenchStages.Plot(Results() with { Levels = [], Samples = [] }).SavePng(empty, 1200, 700);

        var bytes = File.ReadAllBytes(file);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        // The bars make the picture: the same plot without levels is a much smaller file.
        Assert.True(bytes.Length > File.ReadAllBytes(empty).Length + 2000, $"{bytes.Length} vs {File.ReadAllBytes(empty).Length} bytes");
    }
}
