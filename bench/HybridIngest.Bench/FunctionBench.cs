using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.LocalLambda;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Bench;

/// <summary>
/// <c>function</c> mode: the Native AOT bootstrap's size and init time, and the warm overhead per
/// invocation of the local Lambda host + function over calling the server directly.
/// Usage: <c>function [--bootstrap PATH] [--cold N] [--warm N]</c>.
/// </summary>
static partial class FunctionBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var given = Bench.Option(args, "--bootstrap");
        var bootstrap = given ?? await PublishAsync();
        try
        {
            await MeasureAsync(bootstrap, args);
        }
        finally
        {
            if (given is null)
            {
                // The publish folder: bootstrap is in <temp>/publish/.
                Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(bootstrap))!, recursive: true);
            }
        }
        return 0;
    }

    static async Task MeasureAsync(string bootstrap, string[] args)
    {
        var coldStarts = int.Parse(Bench.Option(args, "--cold") ?? "20", CultureInfo.InvariantCulture);
        var warmInvocations = int.Parse(Bench.Option(args, "--warm") ?? "300", CultureInfo.InvariantCulture);

        var (rawBytes, zippedBytes) = Sizes(bootstrap);
        Console.WriteLine($"bootstrap: {rawBytes / 1024.0 / 1024:0.00} MiB, zipped {zippedBytes / 1024.0 / 1024:0.00} MiB ({bootstrap})");

        var initMs = await MeasureInitAsync(bootstrap, coldStarts);
        Console.WriteLine($"init (process start to first next), {coldStarts} cold starts: {Summary(initMs)}");

        var (directMs, invokeMs) = await MeasureWarmAsync(bootstrap, warmInvocations);
        Console.WriteLine($"server directly, {warmInvocations} calls: {Summary(directMs)}");
        Console.WriteLine($"through host + function, {warmInvocations} invocations: {Summary(invokeMs)}");
        var overhead = invokeMs.Zip(directMs, (invoke, direct) => invoke - direct).ToList();
        Console.WriteLine($"overhead per invocation (paired differences): {Summary(overhead)}");
    }

    /// <summary>The executable's size, and its size in a Lambda deployment zip.</summary>
    static (long Raw, long Zipped) Sizes(string bootstrap)
    {
        using var zipped = new MemoryStream();
        using (var zip = new ZipArchive(zipped, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.CreateEntryFromFile(bootstrap, "bootstrap", CompressionLevel.Optimal);
        }
        return (new FileInfo(bootstrap).Length, zipped.Length);
    }

    /// <summary>Cold starts: each in a fresh host, so each invocation starts a new environment.</summary>
    static async Task<List<double>> MeasureInitAsync(string bootstrap, int coldStarts)
    {
        var initMs = new List<double>();
        for (var i = 0; i < coldStarts; i++)
        {
            var report = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
            {
                FunctionName = "bench",
                BootstrapPath = bootstrap,
                // Init does not contact the server; the event below is answered 400 by the function.
                Environment = new Dictionary<string, string> { [FunctionEnvironmentVariables.ServerUrl] = "http://127.0.0.1:9" },
                Log = line =>
                {
                    if (line.StartsWith("REPORT ", StringComparison.Ordinal))
                    {
                        report.TrySetResult(line);
                    }
                },
            });
            using var http = new HttpClient();
            using var answer = await http.PostAsync(InvokeUri(host), new StringContent("{}", Encoding.UTF8, "application/json"));
            var init = InitDuration().Match(await report.Task);
            initMs.Add(double.Parse(init.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        return initMs;
    }

    /// <summary>Interleaved pairs: the server's /process-image directly, then the same through the host.</summary>
    static async Task<(List<double> Direct, List<double> Invoke)> MeasureWarmAsync(string bootstrap, int invocations)
    {
        const string bucket = "bench-images";
        await using var moto = await MotoProcess.StartAsync();
        using (var s3 = EmulatorS3.CreateClient(moto.Endpoint))
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        }
        await using var origin = await ImageOrigin.StartAsync();
        var imageUrl = origin.Serve("/bench.png", SampleImages.Png).ToString();
        var settings = ServerProcess.LocalSettings(moto.Endpoint, bucket);
        settings["INGEST_ALLOWED_PORTS"] = origin.BaseUrl.Port.ToString(CultureInfo.InvariantCulture);
        await using var server = await ServerProcess.StartAsync(RepositoryLayout.BuiltServerDll, settings);
        await using var host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
        {
            FunctionName = "bench",
            BootstrapPath = bootstrap,
            Environment = new Dictionary<string, string> { [FunctionEnvironmentVariables.ServerUrl] = server.BaseUrl.ToString().TrimEnd('/') },
            TimeoutSeconds = 30,
            MaxConcurrency = 1,
        });

        using var http = new HttpClient();
        var body = JsonSerializer.Serialize(new { image_url = imageUrl });
        var direct = new Uri(server.BaseUrl, "process-image");
        async Task<double> TimeAsync(Uri uri)
        {
            // The direct call carries a request id as the function's does, so both pay for the
            // server's idempotency record (two more S3 requests) and the difference is the Lambda layer.
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (uri == direct)
            {
                request.Headers.Add(ServerHeaders.RequestId, Guid.NewGuid().ToString());
            }
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!response.IsSuccessStatusCode || !text.Contains("image_id", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{uri} answered {(int)response.StatusCode}: {text}");
            }
            return elapsed;
        }

        var invoke = InvokeUri(host);
        for (var i = 0; i < 10; i++)
        {
            await TimeAsync(direct);
            await TimeAsync(invoke);
        }
        var directMs = new List<double>();
        var invokeMs = new List<double>();
        for (var i = 0; i < invocations; i++)
        {
            directMs.Add(await TimeAsync(direct));
            invokeMs.Add(await TimeAsync(invoke));
        }
        return (directMs, invokeMs);
    }

    static Uri InvokeUri(LocalLambdaHost host) => new(host.Endpoint, $"2015-03-31/functions/{host.Options.FunctionName}/invocations");

    static string Summary(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        double Percentile(double p) => Bench.Percentile(sorted, p * 100);
        return string.Create(CultureInfo.InvariantCulture,
            $"p50 {Percentile(0.50):0.00} ms, p90 {Percentile(0.90):0.00} ms, p99 {Percentile(0.99):0.00} ms, min {sorted[0]:0.00} ms, max {sorted[^1]:0.00} ms");
    }

    /// <summary>Publishes the function (linux-x64, Release) into a temp folder, as Lambda would get it.</summary>
    static async Task<string> PublishAsync()
    {
        var output = Directory.CreateTempSubdirectory("hybrid-bench-bootstrap-").FullName;
        Console.WriteLine($"dotnet publish {RepositoryLayout.FunctionProject} (linux-x64) …");
        await DotnetPublish.RunAsync(RepositoryLayout.FunctionProject, "linux-x64", Path.Combine(output, "publish"),
            ["--artifacts-path", Path.Combine(output, "build")]);
        return Path.Combine(output, "publish", "bootstrap");
    }

    [GeneratedRegex(@"Init Duration: ([0-9.]+) ms")]
    private static partial Regex InitDuration();
}
