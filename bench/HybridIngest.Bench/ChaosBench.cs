using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Bench;

/// <summary>
/// The server under hostile load, stalled S3, stops, crashes and retries (issue "Under hostile load…"),
/// each scenario on a fresh moto_server and server process on loopback, printed as one table of
/// counts: what docs/reliability.md records. A measurement, not a test: nothing here passes or fails.
/// </summary>
static class ChaosBench
{
    const string Bucket = "chaos-images";

    sealed record Row(string Scenario, string Load, string Result);

    sealed class Stack(MotoProcess moto, IAmazonS3 s3, ImageOrigin origin, string server, Dictionary<string, string> settings) : IAsyncDisposable
    {
        public MotoProcess Moto => moto;
        public IAmazonS3 S3 => s3;
        public ImageOrigin Origin => origin;
        public ServerProcess? Server { get; private set; }
        public ConcurrentQueue<string> ServerOutput { get; } = new();

        public async Task<ServerProcess> StartServerAsync()
        {
            Server = await ServerProcess.StartAsync(server, settings, ServerOutput.Enqueue);
            return Server;
        }

        public async ValueTask DisposeAsync()
        {
            if (Server is not null)
            {
                await Server.DisposeAsync();
            }
            s3.Dispose();
            await origin.DisposeAsync();
            await moto.DisposeAsync();
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var server = Bench.Option(args, "--server") ?? await Bench.PublishServerAsync();
        var seconds = double.Parse(Bench.Option(args, "--seconds") ?? "20", CultureInfo.InvariantCulture);
        var scenarios = (Bench.Option(args, "--scenarios") ?? "slow-clients,frozen-s3,log-flood,sigterm,crash-multipart,retries").Split(',');
        // Settings for the server, e.g. a shorter multipart clean-up age: NAME=VALUE,NAME=VALUE.
        var serverSettings = (Bench.Option(args, "--server-env") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(setting => setting.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
        Console.WriteLine($"machine: {Bench.Machine()}");
        Console.WriteLine($"server: {server}");

        var rows = new List<Row>();
        foreach (var scenario in scenarios)
        {
            await using var stack = await StartAsync(server, serverSettings);
            var duration = TimeSpan.FromSeconds(seconds);
            Row row = scenario switch
            {
                "slow-clients" => await SlowClientsAsync(stack, duration),
                "frozen-s3" => await FrozenS3Async(stack),
                "log-flood" => await LogFloodAsync(stack, duration),
                "sigterm" => await SigTermAsync(stack),
                "crash-multipart" => await CrashMultipartAsync(stack),
                "retries" => await RetriesAsync(stack),
                _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
            };
            Console.WriteLine($"  {row.Scenario}: {row.Result}");
            rows.Add(row);
        }
        Console.WriteLine();
        Console.WriteLine("| Scenario | Load | Result |");
        Console.WriteLine("|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine($"| {row.Scenario} | {row.Load} | {row.Result} |");
        }
        return 0;
    }

    static async Task<Stack> StartAsync(string server, Dictionary<string, string> serverSettings)
    {
        var moto = await MotoProcess.StartAsync();
        var s3 = EmulatorS3.CreateClient(moto.Endpoint);
        await s3.PutBucketAsync(Bucket);
        var origin = await ImageOrigin.StartAsync();
        var settings = ServerProcess.LocalSettings(moto.Endpoint, Bucket);
        foreach (var (name, value) in serverSettings)
        {
            settings[name] = value;
        }
        var stack = new Stack(moto, s3, origin, server, settings);
        await stack.StartServerAsync();
        return stack;
    }

    /// <summary>Item 1: a well-behaved client alone, then beside 200 clients sending their body at 1 byte/s.</summary>
    static async Task<Row> SlowClientsAsync(Stack stack, TimeSpan duration)
    {
        var request = Request(stack.Origin.Serve("/sample.png", SampleImages.Png));
        using var http = Client(stack.Server!, 1);
        var alone = await LoadAsync(http, request, 1, duration);
        using var attack = new CancellationTokenSource();
        var slow = Enumerable.Range(0, 200).Select(_ => TrickleAsync(stack.Server!.BaseUrl, attack.Token)).ToList();
        var attacked = await LoadAsync(http, request, 1, duration);
        await attack.CancelAsync();
        await Task.WhenAll(slow);
        return new Row("slow-clients", $"1 client, {duration.TotalSeconds:F0} s alone then beside 200 slow-body connections (1 byte/s)",
            string.Create(CultureInfo.InvariantCulture,
                $"alone {alone.Ok} ok; attacked {attacked.Ok} ok ({Ratio(attacked.Ok, alone.Ok)}), {attacked.Describe()}"));
    }

    /// <summary>Item 2: moto frozen with SIGSTOP while 4 requests run; /ready during; recovery after SIGCONT.</summary>
    static async Task<Row> FrozenS3Async(Stack stack)
    {
        var request = Request(stack.Origin.Serve("/sample.png", SampleImages.Png));
        using var http = Client(stack.Server!, 8, TimeSpan.FromSeconds(90));
        Signal(stack.Moto.ProcessId, "STOP");
        var started = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var outcome = await PostAsync(http, request);
            return (outcome, started.Elapsed);
        }));
        var ready = await ReadyAsync(http);
        Signal(stack.Moto.ProcessId, "CONT");
        var thawed = Stopwatch.StartNew();
        var recovered = "not within 60 s";
        while (thawed.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await ReadyAsync(http) == "200" && await PostAsync(http, request) == "200")
            {
                recovered = $"{thawed.Elapsed.TotalSeconds:F1} s";
                break;
            }
        }
        var outcomes = string.Join(", ", answers.GroupBy(a => a.outcome)
            .Select(g => $"{g.Count()}x {g.Key} after {g.Max(a => a.Elapsed.TotalSeconds):F1} s"));
        return new Row("frozen-s3", "4 requests while moto is stopped (SIGSTOP), client timeout 90 s",
            $"{outcomes}; /ready while frozen: {ready}; /ready 200 and a request stored {recovered} after SIGCONT");
    }

    /// <summary>
    /// Item 3: 256 connections for the duration (more than the 64 slots and the 64 places in the
    /// queue, so that some are refused); how many lines the server wrote, and about overload.
    /// </summary>
    static async Task<Row> LogFloodAsync(Stack stack, TimeSpan duration)
    {
        const int connections = 256;
        var request = Request(stack.Origin.Serve("/sample.png", SampleImages.Png));
        using var http = Client(stack.Server!, connections);
        var before = stack.ServerOutput.Count;
        var load = await LoadAsync(http, request, connections, duration);
        var lines = stack.ServerOutput.Skip(before).ToList();
        var overload = lines.Count(l => l.Contains("overload", StringComparison.OrdinalIgnoreCase) || l.Contains("refused", StringComparison.OrdinalIgnoreCase));
        return new Row("log-flood", $"{connections} connections for {duration.TotalSeconds:F0} s",
            $"{load.Describe()}; server wrote {lines.Count} lines, {overload} about overload, {lines.Sum(l => l.Length + 1) / 1024} KiB");
    }

    /// <summary>Item 4: 32 connections on a slow origin (about 1 s per image); SIGTERM once all are in flight.</summary>
    static async Task<Row> SigTermAsync(Stack stack)
    {
        var slow = SampleImages.NoisePng(256 * 1024);
        var request = Request(stack.Origin.Serve("/slow.png",
            OriginResponse.Image(slow) with { ChunkSize = 32 * 1024, ChunkDelay = TimeSpan.FromMilliseconds(125) }));
        var server = stack.Server!;
        using var http = Client(server, 32);
        var wall = Stopwatch.StartNew();
        var load = LoadAsync(http, request, 32, TimeSpan.FromSeconds(30), stopWhenRefused: true);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a measurement's schedule: load running, then the stop
        Signal(server.ProcessId, "TERM");
        var termAt = wall.Elapsed;
        await server.WaitForExitAsync();
        var exitedAfter = wall.Elapsed - termAt;
        var result = await load;
        return new Row("sigterm", "32 connections, ~1 s per image; SIGTERM 3 s in",
            $"{result.Describe()}; the server exited {exitedAfter.TotalSeconds:F1} s after SIGTERM");
    }

    /// <summary>Item 5: the server killed (SIGKILL) while a multipart upload is open; open uploads after the next start.</summary>
    static async Task<Row> CrashMultipartAsync(Stack stack)
    {
        // No Content-Length, more than one 5 MiB part, and slow: the upload is open long enough.
        var big = SampleImages.NoisePng(12 * 1024 * 1024);
        var request = Request(stack.Origin.Serve("/big.png",
            OriginResponse.Image(big) with { SendContentLength = false, ChunkSize = 512 * 1024, ChunkDelay = TimeSpan.FromMilliseconds(500) }));
        using (var http = Client(stack.Server!, 1))
        {
            var running = PostAsync(http, request);
            var open = 0;
            for (var wait = Stopwatch.StartNew(); open == 0 && wait.Elapsed < TimeSpan.FromSeconds(60);)
            {
                open = await OpenUploadsAsync(stack.S3);
            }
            Signal(stack.Server!.ProcessId, "KILL");
            await stack.Server.WaitForExitAsync();
            await running;
            if (open == 0)
            {
                return new Row("crash-multipart", "SIGKILL during a 12 MiB upload of unknown length", "no multipart upload was seen open");
            }
        }
        await stack.Server!.DisposeAsync();
        var left = await OpenUploadsAsync(stack.S3);
        await stack.StartServerAsync();
        using (var http = Client(stack.Server!, 1))
        {
            await ReadyAsync(http);
        }
        var afterStart = await OpenUploadsAsync(stack.S3);
        return new Row("crash-multipart", "SIGKILL during a 12 MiB upload of unknown length",
            $"{left} upload(s) open after the kill; {afterStart} open once the restarted server is ready");
    }

    /// <summary>Item 6: one request_id sent twice in a row, and another four times at once.</summary>
    static async Task<Row> RetriesAsync(Stack stack)
    {
        var url = stack.Origin.Serve("/sample.png", SampleImages.Png);
        using var http = Client(stack.Server!, 4);
        var sequential = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            sequential.Add(await PostForKeyAsync(http, url, "chaos-sequential"));
        }
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostForKeyAsync(http, url, "chaos-concurrent")));
        var objects = (await stack.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = "images/" })).S3Objects ?? [];
        return new Row("retries", "one request_id sent 2x in a row; another 4x at once",
            $"in a row: {sequential.Distinct().Count()} distinct answer(s); at once: {concurrent.Distinct().Count()} distinct answer(s); " +
            $"{objects.Count} object(s) stored for the 2 ids");
    }

    static byte[] Request(Uri imageUrl) => Encoding.UTF8.GetBytes($$"""{"image_url": "{{imageUrl}}"}""");

    static HttpClient Client(ServerProcess server, int connections, TimeSpan? timeout = null) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(60) };

    sealed record Load(ConcurrentDictionary<string, int> Outcomes)
    {
        public int Ok => Outcomes.GetValueOrDefault("200");

        public string Describe() => string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Value}x {o.Key}"));
    }

    /// <summary>
    /// <paramref name="connections"/> clients posting back to back for <paramref name="duration"/>, the
    /// outcome of each request counted: its status (and error code), or how the connection failed.
    /// </summary>
    static async Task<Load> LoadAsync(HttpClient http, byte[] request, int connections, TimeSpan duration, bool stopWhenRefused = false)
    {
        var outcomes = new ConcurrentDictionary<string, int>();
        var wall = Stopwatch.StartNew();
        var refused = false;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            while (wall.Elapsed < duration && !(stopWhenRefused && Volatile.Read(ref refused)))
            {
                var outcome = await PostAsync(http, request);
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                if (outcome == "connection refused")
                {
                    Volatile.Write(ref refused, true);
                }
            }
        }));
        return new Load(outcomes);
    }

    /// <summary>"200", "503 overloaded" (status and error code), or how the exchange failed.</summary>
    static async Task<string> PostAsync(HttpClient http, byte[] request, string? requestId = null)
    {
        using var content = new ByteArrayContent(request);
        content.Headers.ContentType = new("application/json");
        using var message = new HttpRequestMessage(HttpMethod.Post, "process-image") { Content = content };
        if (requestId is not null)
        {
            message.Headers.Add(ServerHeaders.RequestId, requestId);
        }
        try
        {
            using var answer = await http.SendAsync(message);
            var body = await answer.Content.ReadAsStringAsync();
            var status = (int)answer.StatusCode;
            return status == 200 ? "200" : $"{status} {ErrorCode(body)}";
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return "connection refused";
        }
        catch (HttpRequestException e)
        {
            return $"no answer ({e.HttpRequestError})";
        }
        catch (TaskCanceledException)
        {
            return "client timeout";
        }
    }

    static async Task<string> PostForKeyAsync(HttpClient http, Uri url, string requestId)
    {
        using var answer = await http.PostAsJsonAsync("process-image",
            new ProcessImageRequest(url.ToString(), RequestId: requestId), HybridIngestJsonContext.Default.ProcessImageRequest);
        var body = await answer.Content.ReadAsStringAsync();
        return answer.IsSuccessStatusCode
            ? System.Text.Json.JsonSerializer.Deserialize(body, HybridIngestJsonContext.Default.ProcessImageResponse)!.Key
            : $"{(int)answer.StatusCode} {ErrorCode(body)}";
    }

    static string ErrorCode(string body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "(not JSON)";
        }
    }

    static async Task<string> ReadyAsync(HttpClient http)
    {
        try
        {
            // Longer than the server's own bound on its bucket check (one S3 attempt, 10 s by default).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            using var answer = await http.GetAsync("ready", timeout.Token);
            return ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "no answer in 15 s";
        }
    }

    static async Task<int> OpenUploadsAsync(IAmazonS3 s3) =>
        (await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket })).MultipartUploads?.Count ?? 0;

    /// <summary>A client that sends its headers, then its body one byte a second, until cancelled.</summary>
    static async Task TrickleAsync(Uri server, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, cancellationToken);
            var body = Encoding.ASCII.GetBytes("""{"image_url": "http://127.0.0.1:1/never.png"}""");
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                $"POST /process-image HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"), cancellationToken);
            foreach (var b in body)
            {
                await socket.SendAsync(new[] { b }, cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // Stopped by the scenario, or the server closed the connection: either is the point.
        }
    }

    static string Ratio(int part, int whole) => whole == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{(double)part / whole:F2}x");

    static void Signal(int processId, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", processId.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {processId} failed");
        }
    }
}
