using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Bench;

/// <summary>
/// What the server holds in memory storing one image, by size and by whether the origin sends a
/// Content-Length: the server process's peak RSS (VmHWM) after one request, each case in a fresh
/// process, storing into the in-memory S3 sink (which verifies every checksum) from a local origin.
/// Throughput and CPU per image are the compare mode's.
/// </summary>
static class ServerBench
{
    const string Bucket = "bench-images";
    const long MiB = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var server = Bench.Option(args, "--server") ?? await Bench.PublishServerAsync();
        var largeMiB = long.Parse(Bench.Option(args, "--large-mib") ?? "256", CultureInfo.InvariantCulture);
        Console.WriteLine($"machine: {Bench.Machine()}");
        Console.WriteLine($"server: {server}");

        await using var sink = await S3Sink.StartAsync(keepBodies: false);
        sink.CreateBucket(Bucket);
        await using var origin = await ImageOrigin.StartAsync();
        var settings = ServerProcess.LocalSettings(sink.Endpoint, Bucket);
        // Raised so that the large image is accepted: the defaults are 50 MiB and 30 s.
        settings["INGEST_MAX_IMAGE_BYTES"] = $"{(largeMiB + 1) * MiB}";
        settings["INGEST_DOWNLOAD_TIMEOUT_SECONDS"] = "900";

        Console.WriteLine();
        Console.WriteLine("| Image | Origin sends | S3 requests | Peak RSS | Request took |");
        Console.WriteLine("|---|---|---|---|---|");
        await using (var idle = await ServerProcess.StartAsync(server, settings))
        {
            Console.WriteLine($"| none (started, no request yet) | | | {Mebibytes(new ProcessTree(idle.ProcessId).PeakRssBytes())} | |");
        }
        foreach (var size in new[] { 1 * MiB, largeMiB * MiB })
        {
            var image = SampleImages.NoisePng(size);
            foreach (var sendContentLength in new[] { true, false })
            {
                var url = origin.Serve($"image-{size}-{sendContentLength}.png", OriginResponse.Image(image) with { SendContentLength = sendContentLength });
                await using var process = await ServerProcess.StartAsync(server, settings);
                using var http = new HttpClient { BaseAddress = process.BaseUrl, Timeout = TimeSpan.FromMinutes(15) };
                sink.ClearOperations();
                var started = Stopwatch.GetTimestamp();
                using var answer = await http.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
                    HybridIngestJsonContext.Default.ProcessImageRequest);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (!answer.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
                }
                var requests = sink.Operations.GroupBy(o => o).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} x{g.Count()}");
                Console.WriteLine($"| {Mebibytes(image.Bytes.Length)} | {(sendContentLength ? "Content-Length" : "chunked, no length")} | " +
                    $"{string.Join(", ", requests)} | {Mebibytes(new ProcessTree(process.ProcessId).PeakRssBytes())} | {seconds:F1} s |");
            }
        }
        return 0;
    }

    static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)MiB:F1} MiB");
}
