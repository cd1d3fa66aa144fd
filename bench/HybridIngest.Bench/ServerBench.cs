using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Bench;

/// <summary>
/// The server's own costs, against moto and a local origin on loopback: peak memory (the server
/// process's peak RSS, VmHWM) storing one 1 MiB and one 256 MiB image, each in a fresh process;
/// then throughput and latency at a fixed concurrency in a third fresh process.
/// </summary>
static class ServerBench
{
    const string Bucket = "bench-images";
    const long MiB = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var server = Option(args, "--server");
        var concurrency = int.Parse(Option(args, "--concurrency") ?? "32", CultureInfo.InvariantCulture);
        var requests = int.Parse(Option(args, "--requests") ?? "2000", CultureInfo.InvariantCulture);
        var throughputBytes = long.Parse(Option(args, "--throughput-image-bytes") ?? "102400", CultureInfo.InvariantCulture);
        var largeMiB = long.Parse(Option(args, "--large-mib") ?? "256", CultureInfo.InvariantCulture);

        Console.WriteLine($"machine: {Machine()}");
        Console.WriteLine($"server: {server ?? "the build of src/HybridIngest.Server in this benchmark's configuration"}");

        await using var moto = await MotoServer.StartAsync();
        using (var s3 = new AmazonS3Client(new BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey),
            new AmazonS3Config { ServiceURL = moto.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" }))
        {
            await s3.PutBucketAsync(Bucket);
        }
        await using var origin = await ImageOrigin.StartAsync();
        var small = origin.Serve("small.png", SampleImages.NoisePng(MiB));
        var tiny = origin.Serve("throughput.png", SampleImages.NoisePng(throughputBytes));

        Console.WriteLine();
        Console.WriteLine("| Measure | Result |");
        Console.WriteLine("|---|---|");

        await using (var process = await BenchServer.StartAsync(server, moto, Bucket, new()))
        {
            Row("Peak RSS after start (no request yet)", Mebibytes(process.PeakRssBytes()));
            var stored = await process.ProcessAsync(small);
            Row($"Peak RSS storing one {Mebibytes(stored.FileSize)} image", Mebibytes(process.PeakRssBytes()));
        }

        var largeImage = SampleImages.NoisePng(largeMiB * MiB);
        var largeSettings = new Dictionary<string, string>
        {
            // Raised for these measurements only: the default limit is 50 MiB and 30 s.
            ["INGEST_MAX_IMAGE_BYTES"] = $"{(largeMiB + 1) * MiB}",
            ["INGEST_DOWNLOAD_TIMEOUT_SECONDS"] = "900",
        };
        foreach (var (how, response) in new[]
        {
            ("Content-Length known: one streamed PutObject", OriginResponse.Image(largeImage)),
            ("chunked, no Content-Length: multipart in 5 MiB parts", OriginResponse.Image(largeImage) with { SendContentLength = false }),
        })
        {
            var large = origin.Serve("large.png", response);
            await using var process = await BenchServer.StartAsync(server, moto, Bucket, largeSettings);
            var started = Stopwatch.GetTimestamp();
            var stored = await process.ProcessAsync(large);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Row($"Peak RSS storing one {Mebibytes(stored.FileSize)} image ({how})",
                $"{Mebibytes(process.PeakRssBytes())} (request took {seconds:F1} s)");
        }
        origin.Serve("large.png", OriginResponse.Status(410));

        await using (var process = await BenchServer.StartAsync(server, moto, Bucket, new()))
        {
            for (var i = 0; i < concurrency; i++)
            {
                await process.ProcessAsync(tiny); // warm-up: JIT, connection pools
            }
            var latencies = new double[requests];
            var downloads = new double[requests];
            var uploads = new double[requests];
            var next = -1;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) is var i && i < requests)
                {
                    var started = Stopwatch.GetTimestamp();
                    var stored = await process.ProcessAsync(tiny);
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    (downloads[i], uploads[i]) = (stored.DownloadMs, stored.UploadMs);
                }
            }));
            wall.Stop();
            Array.Sort(latencies);
            Array.Sort(downloads);
            Array.Sort(uploads);
            Row($"Throughput, {requests} requests of a {Kibibytes(throughputBytes)} image at {concurrency} concurrent",
                $"{requests / wall.Elapsed.TotalSeconds:F0} requests/s");
            Row("Latency p50 / p99 / max", $"{Percentile(latencies, 50):F1} / {Percentile(latencies, 99):F1} / {latencies[^1]:F1} ms");
            Row("Server-reported download_ms / upload_ms (S3 PutObject + copy), p50",
                $"{Percentile(downloads, 50):F0} / {Percentile(uploads, 50):F0} ms");
            Row("Peak RSS during the throughput run", Mebibytes(process.PeakRssBytes()));
        }
        return 0;
    }

    static void Row(string measure, string result) => Console.WriteLine($"| {measure} | {result} |");

    static string Mebibytes(long bytes) => $"{bytes / (double)MiB:F1} MiB";

    static string Kibibytes(long bytes) => $"{bytes / 1024.0:F0} KiB";

    static double Percentile(double[] sorted, double percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    static string? Option(string[] args, string name) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var memory = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim();
        return $"{cpu}, {Environment.ProcessorCount} cores, {memory} RAM, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    /// <summary>The server as a process, with a client for it and its peak memory.</summary>
    sealed class BenchServer(ServerProcess process, HttpClient http) : IAsyncDisposable
    {
        public static async Task<BenchServer> StartAsync(string? server, MotoServer moto, string bucket, Dictionary<string, string> settings)
        {
            var environment = ServerProcess.LocalSettings(moto, bucket);
            foreach (var (name, value) in settings)
            {
                environment[name] = value;
            }
            var process = await ServerProcess.StartAsync(server ?? RepositoryLayout.BuiltServerDll, environment,
                line => Console.Error.WriteLine($"server: {line}"));
            return new BenchServer(process, new HttpClient { BaseAddress = process.BaseUrl, Timeout = TimeSpan.FromMinutes(15) });
        }

        public async Task<ProcessImageResponse> ProcessAsync(Uri imageUrl)
        {
            using var answer = await http.PostAsJsonAsync("/process-image", new ProcessImageRequest(imageUrl.ToString()),
                HybridIngestJsonContext.Default.ProcessImageRequest);
            if (!answer.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
            }
            return (await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse))!;
        }

        /// <summary>The process's peak resident set size so far (Linux VmHWM).</summary>
        public long PeakRssBytes()
        {
            var line = File.ReadLines($"/proc/{process.ProcessId}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await process.DisposeAsync();
        }
    }
}
