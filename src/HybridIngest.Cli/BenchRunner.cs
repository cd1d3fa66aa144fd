using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// What to run: every concurrency level in turn, each until <see cref="Requests"/> invocations
/// were made or <see cref="Duration"/> passed (whichever comes first; at least one is set), with
/// request starts paced at <see cref="RatePerSecond"/> across the level's workers when given.
/// </summary>
public sealed record BenchSettings(
    string ImageUrl,
    IReadOnlyList<int> ConcurrencyLevels,
    int? Requests = null,
    double? RatePerSecond = null,
    TimeSpan? Duration = null)
{
    public const int DefaultRequests = 100;
    public const int MaxConcurrency = 1000;

    /// <summary>Pacing waits with Task.Delay (about 1 ms granularity), so far below this it already stops pacing; the bound turns a typo into a usage error.</summary>
    public const double MaxRatePerSecond = 100_000;

    /// <summary>The seed lab's benchmark: sequential, one request per second for 300 seconds.</summary>
    public static BenchSettings Lab(string imageUrl) => new(imageUrl, [1], null, 1, TimeSpan.FromSeconds(300));

    public void Validate()
    {
        if (!Uri.TryCreate(ImageUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new UserException($"--url must be an absolute http(s) URL, not '{ImageUrl}'.");
        }
        if (ConcurrencyLevels.Count == 0 || ConcurrencyLevels.Any(c => c is < 1 or > MaxConcurrency))
        {
            throw new UserException($"--concurrency takes levels between 1 and {MaxConcurrency}, e.g. 1,8,32.");
        }
        if (Requests is < 1)
        {
            throw new UserException("--requests must be at least 1.");
        }
        if (RatePerSecond is <= 0)
        {
            throw new UserException("--rate must be more than 0 requests per second.");
        }
        if (Duration is { } duration && duration <= TimeSpan.Zero)
        {
            throw new UserException("--duration must be more than 0 seconds.");
        }
    }
}

/// <summary>Where a level stands, for a progress display.</summary>
public sealed record BenchProgress(int Concurrency, int Completed, int Failed, int? Total, TimeSpan Elapsed, TimeSpan? Duration);

/// <summary>
/// A finished (or interrupted) run: the results (also written to <see cref="OutputDirectory"/>) and
/// the images it stored.
/// </summary>
public sealed record BenchReport(BenchResults Results, string OutputDirectory, IReadOnlyList<string> Files, IReadOnlyList<StoredImage> StoredImages)
{
    public bool AllSucceeded => !Results.Interrupted && Results.Levels.All(level => level.Succeeded == level.Requests);
}

/// <summary>Runs a bench against one function and writes its results (JSON, CSV, PNG plots).</summary>
public sealed class BenchRunner(LambdaInvoker invoker, string functionName)
{
    public async Task<BenchReport> RunAsync(
        BenchSettings settings,
        string outputRoot,
        IProgress<BenchProgress>? progress,
        CancellationToken cancellationToken)
    {
        settings.Validate();
        var requests = settings.Requests ?? (settings.Duration is null ? BenchSettings.DefaultRequests : null);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new FunctionEvent(settings.ImageUrl), HybridIngestJsonContext.Default.FunctionEvent);
        var startedAt = DateTimeOffset.UtcNow;

        var samples = new List<BenchSample>();
        var stored = new List<StoredImage>();
        var levels = new List<BenchLevel>();
        foreach (var concurrency in settings.ConcurrencyLevels)
        {
            var (levelSamples, levelStored, elapsed) = await RunLevelAsync(concurrency, requests, settings, payload, progress, cancellationToken);
            samples.AddRange(levelSamples);
            stored.AddRange(levelStored);
            if (levelSamples.Count > 0 || !cancellationToken.IsCancellationRequested)
            {
                levels.Add(BenchStatistics.Summarize(concurrency, levelSamples, elapsed));
            }
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        var results = new BenchResults
        {
            StartedAt = startedAt,
            FunctionName = functionName,
            ImageUrl = settings.ImageUrl,
            RequestsPerLevel = requests,
            RatePerSecond = settings.RatePerSecond,
            DurationSeconds = settings.Duration?.TotalSeconds,
            Interrupted = cancellationToken.IsCancellationRequested,
            Levels = levels,
            Samples = samples,
        };
        var directory = Path.Combine(outputRoot, startedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var files = BenchOutputs.Write(results, directory);
        return new BenchReport(results, Path.GetFullPath(directory), files, stored);
    }

    async Task<(List<BenchSample> Samples, List<StoredImage> Stored, TimeSpan Elapsed)> RunLevelAsync(
        int concurrency, int? requests, BenchSettings settings, byte[] payload,
        IProgress<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var samples = new ConcurrentBag<BenchSample>();
        var stored = new ConcurrentBag<StoredImage>();
        var next = -1;
        var completed = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();

        async Task Worker()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var sequence = Interlocked.Increment(ref next);
                if (requests is { } total && sequence >= total)
                {
                    return;
                }
                if (settings.RatePerSecond is { } rate)
                {
                    // Open-loop pacing: request i starts at i / rate seconds, however long earlier ones take.
                    var due = TimeSpan.FromSeconds(sequence / rate) - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }
                }
                if (settings.Duration is { } duration && clock.Elapsed >= duration)
                {
                    return;
                }

                var sample = await InvokeOnceAsync(concurrency, sequence, clock.Elapsed, payload, settings.ImageUrl, stored, cancellationToken);
                samples.Add(sample);
                if (sample.Error is not null)
                {
                    Interlocked.Increment(ref failed);
                }
                progress?.Report(new BenchProgress(concurrency, Interlocked.Increment(ref completed), Volatile.Read(ref failed), requests, clock.Elapsed, settings.Duration));
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, CancellationToken.None)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the invocations in flight are dropped, the finished ones are kept.
        }
        var elapsed = clock.Elapsed;
        return ([.. samples.OrderBy(s => s.Sequence)], [.. stored], elapsed);
    }

    async Task<BenchSample> InvokeOnceAsync(
        int concurrency, int sequence, TimeSpan offset, byte[] payload, string imageUrl,
        ConcurrentBag<StoredImage> stored, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var outcome = await invoker.InvokeAsync(functionName, payload, tailLog: true, cancellationToken);
            var answer = FunctionAnswer.Read(outcome);
            if (answer.Stored is { } image)
            {
                stored.Add(StoredImagesStore.From(image, imageUrl));
            }
            return new BenchSample
            {
                Concurrency = concurrency,
                Sequence = sequence,
                StartOffsetMs = offset.TotalMilliseconds,
                EndToEndMs = outcome.Elapsed.TotalMilliseconds,
                LambdaEc2CallTimeMs = answer.Body?.LambdaEc2CallTimeMs,
                InvokeStatus = outcome.StatusCode,
                FunctionStatus = answer.FunctionStatus,
                Error = answer.Error,
                ColdStart = outcome.InitDurationMs is not null,
                InitDurationMs = outcome.InitDurationMs,
                FunctionDurationMs = outcome.FunctionDurationMs,
                ServerTotalMs = answer.Stored?.TotalMs,
                ServerDownloadMs = answer.Stored?.DownloadMs,
            };
        }
        catch (Exception e) when (e is HttpRequestException or SocketException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new BenchSample
            {
                Concurrency = concurrency,
                Sequence = sequence,
                StartOffsetMs = offset.TotalMilliseconds,
                EndToEndMs = clock.Elapsed.TotalMilliseconds,
                InvokeStatus = 0,
                Error = e is TaskCanceledException ? "invoke_timeout" : "invoke_unreachable",
                ColdStart = false,
            };
        }
    }
}
