using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HybridIngest.Offline;
using HybridIngest.Testing;
using ScottPlot;

namespace HybridIngest.Bench;

/// <summary>
/// This server beside the lab's design (bench/flask-reference: Flask + requests + boto3, under
/// Flask's own server and under gunicorn), on the same origin (nginx), image and S3, in alternating
/// runs: images stored per second, latency, the server's CPU time per image (utime + stime of its
/// processes over the run / images stored) and peak RSS. S3 is moto (what the lab's users run
/// locally, and usually the limit) or the in-memory S3 sink (so that the servers' own cost shows).
/// </summary>
static partial class CompareBench
{
    const string Bucket = "bench-images";
    const string FlaskPython = "/usr/bin/python3"; // Debian's, with python3-flask/-boto3/-requests, as gunicorn uses

    enum Contender { Ours, Flask, Gunicorn }

    sealed record Run(string Storage, Contender Contender, int Round, int Connections, int Stored, int Failed,
        double Seconds, double P50, double P99, double CpuMsPerImage, double PeakRssMiB, double S3CpuMsPerImage)
    {
        public double PerSecond => Stored / Seconds;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var server = Bench.Option(args, "--server");
        var rounds = int.Parse(Bench.Option(args, "--rounds") ?? "2", CultureInfo.InvariantCulture);
        var seconds = double.Parse(Bench.Option(args, "--seconds") ?? "20", CultureInfo.InvariantCulture);
        // Until the JIT's tiering is done with the hot paths (measured with perf: its thread still took
        // a fifth of the server's CPU 13 s into a run); the lab's Python servers need none.
        var warmUp = TimeSpan.FromSeconds(double.Parse(Bench.Option(args, "--warm-up") ?? "15", CultureInfo.InvariantCulture));
        var imageKiB = int.Parse(Bench.Option(args, "--image-kib") ?? "205", CultureInfo.InvariantCulture);
        var storages = (Bench.Option(args, "--storage") ?? "sink,moto").Split(',');
        var contenders = (Bench.Option(args, "--contenders") ?? "ours,flask,gunicorn").Split(',')
            .Select(c => Enum.Parse<Contender>(c, ignoreCase: true)).ToList();
        // Settings for this server only, to measure one change at a time: NAME=VALUE,NAME=VALUE.
        var serverSettings = (Bench.Option(args, "--server-env") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(setting => setting.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
        var plotPath = Bench.Option(args, "--plot") ?? Path.Combine(RepositoryLayout.Root, "docs", "performance-server.png");
        if (MissingTools(contenders) is { } missing)
        {
            Console.Error.WriteLine(missing);
            return 2;
        }

        server ??= await Bench.PublishServerAsync();
        Console.WriteLine($"machine: {Bench.Machine()}");
        Console.WriteLine($"server: {server}");
        var image = Bench.NoiseJpeg(imageKiB * 1000);
        await using var origin = await NginxOrigin.StartAsync(new Dictionary<string, byte[]> { ["image.jpg"] = image });
        var request = Encoding.UTF8.GetBytes($"{{\"image_url\": \"{origin.BaseUrl}image.jpg\"}}");
        Console.WriteLine($"image: {image.Length} bytes (JPEG), origin nginx at {origin.BaseUrl}; {seconds} s per run after a {warmUp.TotalSeconds} s warm-up");

        var runs = new List<Run>();
        foreach (var storage in storages)
        {
            var connections = int.Parse(Bench.Option(args, $"--{storage}-connections") ?? (storage == "moto" ? "16" : "32"), CultureInfo.InvariantCulture);
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var contender in contenders)
                {
                    await using var s3 = await StorageAsync(storage);
                    await using var running = await StartAsync(contender, server, serverSettings, s3.Url);
                    var run = await MeasureAsync(running, s3.ProcessId, request, connections, warmUp, TimeSpan.FromSeconds(seconds)) with
                    {
                        Storage = storage,
                        Contender = contender,
                        Round = round,
                    };
                    Console.WriteLine($"  {storage} round {round} {contender}: {run.PerSecond:F0}/s, {run.Failed} failed, " +
                        $"p50 {run.P50:F1} ms, p99 {run.P99:F1} ms, CPU {run.CpuMsPerImage:F2} ms/image, peak RSS {run.PeakRssMiB:F0} MiB, moto CPU {run.S3CpuMsPerImage:F2} ms/image");
                    runs.Add(run);
                }
            }
        }
        PrintTable(runs);
        Plot(runs, plotPath, image.Length);
        Console.WriteLine($"plot: {plotPath}");
        return runs.Any(r => r.Failed > 0) ? 1 : 0;
    }

    static string? MissingTools(List<Contender> contenders)
    {
        var missing = new List<string>();
        if (!Bench.OnPath("nginx"))
        {
            missing.Add("nginx");
        }
        if (contenders.Contains(Contender.Gunicorn) && !Bench.OnPath("gunicorn"))
        {
            missing.Add("gunicorn");
        }
        if (contenders.Any(c => c != Contender.Ours) && !File.Exists(FlaskPython))
        {
            missing.Add("python3-flask python3-boto3 python3-requests");
        }
        return missing.Count == 0 ? null
            : $"compare: missing {string.Join(", ", missing)}; install with: apt-get install nginx-light gunicorn python3-flask python3-boto3 python3-requests";
    }

    /// <summary>An S3 endpoint with an empty bucket: a fresh moto (so stored images do not pile up between runs) or a sink.</summary>
    static async Task<Running> StorageAsync(string storage)
    {
        if (storage == "sink")
        {
            var sink = await S3Sink.StartAsync(keepBodies: false);
            sink.CreateBucket(Bucket);
            return new Running(sink.Endpoint, null, sink.DisposeAsync); // in this process: its CPU is not told apart
        }
        var moto = await MotoProcess.StartAsync();
        using var client = EmulatorS3.CreateClient(moto.Endpoint);
        await client.PutBucketAsync(Bucket);
        return new Running(moto.Endpoint, moto.ProcessId, moto.DisposeAsync);
    }

    /// <summary>A started service (an S3 endpoint or a server): where it answers, its process if separate, how to stop it.</summary>
    sealed record Running(Uri Url, int? ProcessId, Func<ValueTask> Stop) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Stop();
    }

    static async Task<Running> StartAsync(Contender contender, string server, Dictionary<string, string> serverSettings, Uri s3Endpoint)
    {
        var environment = ServerProcess.LocalSettings(s3Endpoint, Bucket);
        if (contender == Contender.Ours)
        {
            foreach (var (name, value) in serverSettings)
            {
                environment[name] = value;
            }
            var ours = await ServerProcess.StartAsync(server, environment);
            return new Running(ours.BaseUrl, ours.ProcessId, ours.DisposeAsync);
        }
        var port = FreePort.Next();
        var start = contender == Contender.Flask
            ? new ProcessStartInfo(FlaskPython) { ArgumentList = { "app.py" } }
            : new ProcessStartInfo("gunicorn") { ArgumentList = { "-w", "5", "--threads", "4", "-b", $"127.0.0.1:{port}", "app:app" } };
        start.WorkingDirectory = Path.Combine(RepositoryLayout.Root, "bench", "flask-reference");
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var (process, _) = await ChildProcess.StartAsync(start, PythonReady(), $"the {contender} reference server", null, CancellationToken.None);
        return new Running(new Uri($"http://127.0.0.1:{port}/"), process.Id, async () =>
        {
            ChildProcess.Kill(process);
            await process.WaitForExitAsync();
            process.Dispose();
        });
    }

    /// <summary>Flask's dev server and gunicorn each say so when they listen.</summary>
    [GeneratedRegex(@"Running on http://127\.0\.0\.1:\d+|Listening at: http://127\.0\.0\.1:\d+")]
    private static partial Regex PythonReady();

    static async Task<Run> MeasureAsync(Running server, int? s3ProcessId, byte[] request, int connections, TimeSpan warmUp, TimeSpan duration)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = server.Url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        await LoadAsync(http, request, connections, warmUp); // JIT, pools, gunicorn's workers
        var tree = new ProcessTree(server.ProcessId!.Value);
        var s3 = s3ProcessId is { } id ? new ProcessTree(id) : null;
        var (cpuBefore, s3CpuBefore) = (tree.CpuSeconds(), s3?.CpuSeconds() ?? 0);
        var (latencies, failed, elapsed) = await LoadAsync(http, request, connections, duration);
        var cpu = tree.CpuSeconds() - cpuBefore;
        var s3Cpu = s3 is null ? double.NaN : s3.CpuSeconds() - s3CpuBefore;
        latencies.Sort();
        return new Run("", default, 0, connections, latencies.Count, failed, elapsed.TotalSeconds,
            Bench.Percentile(latencies, 50), Bench.Percentile(latencies, 99),
            cpu * 1000 / latencies.Count, tree.PeakRssBytes() / (1024.0 * 1024), s3Cpu * 1000 / latencies.Count);
    }

    /// <summary><paramref name="connections"/> clients posting the request back to back for <paramref name="duration"/>.</summary>
    static async Task<(List<double> Latencies, int Failed, TimeSpan Elapsed)> LoadAsync(HttpClient http, byte[] request,
        int connections, TimeSpan duration)
    {
        var failed = 0;
        var wall = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            var latencies = new List<double>();
            while (wall.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(request);
                content.Headers.ContentType = new("application/json");
                try
                {
                    using var answer = await http.PostAsync("process-image", content);
                    await answer.Content.ReadAsByteArrayAsync();
                    if (answer.IsSuccessStatusCode)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                }
                Interlocked.Increment(ref failed);
            }
            return latencies;
        }));
        return ([.. perClient.SelectMany(l => l)], failed, wall.Elapsed);
    }

    static void PrintTable(List<Run> runs)
    {
        Console.WriteLine();
        Console.WriteLine("| S3 | Server | Round | Connections | Images/s | Failed | p50 ms | p99 ms | CPU ms/image | Peak RSS MiB | moto CPU ms/image |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {run.Storage} | {Name(run.Contender)} | {run.Round} | {run.Connections} | {run.PerSecond:F0} | {run.Failed} | {run.P50:F1} | {run.P99:F1} | {run.CpuMsPerImage:F2} | {run.PeakRssMiB:F0} | {(double.IsNaN(run.S3CpuMsPerImage) ? "" : run.S3CpuMsPerImage.ToString("F2", CultureInfo.InvariantCulture))} |"));
        }
        Console.WriteLine();
        foreach (var group in runs.GroupBy(r => (r.Storage, r.Round)))
        {
            var ours = group.FirstOrDefault(r => r.Contender == Contender.Ours);
            if (ours is null)
            {
                continue;
            }
            var ratios = group.Where(r => r.Contender != Contender.Ours)
                .Select(r => string.Create(CultureInfo.InvariantCulture, $"{ours.PerSecond / r.PerSecond:F1}x {Name(r.Contender)}"));
            Console.WriteLine($"{group.Key.Storage}, round {group.Key.Round}: this server stores {string.Join(", ", ratios)}");
        }
    }

    static string Name(Contender contender) => contender switch
    {
        Contender.Ours => "HybridIngest (C#)",
        Contender.Flask => "lab Flask, dev server",
        _ => "lab Flask, gunicorn 5x4",
    };

    static void Plot(List<Run> runs, string path, int imageBytes)
    {
        var plot = new Plot();
        var position = 0.0;
        var ticks = new List<Tick>();
        foreach (var storage in runs.GroupBy(r => r.Storage))
        {
            foreach (var contender in storage.GroupBy(r => r.Contender))
            {
                var best = contender.Max(r => r.PerSecond);
                var bar = plot.Add.Bar(position, best);
                bar.Color = contender.Key switch { Contender.Ours => Colors.SteelBlue, Contender.Flask => Colors.Gray, _ => Colors.DarkOrange };
                var cpu = contender.Average(r => r.CpuMsPerImage);
                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{best:F0}/s\n{cpu:F2} ms CPU"), position, best);
                label.Alignment = Alignment.LowerCenter;
                ticks.Add(new Tick(position, $"{Name(contender.Key)}\n{storage.Key}"));
                position += 1;
            }
            position += 0.5;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Margins(bottom: 0, top: 0.2);
        plot.YLabel("images stored per second (best round)");
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{imageBytes:N0}-byte JPEG, nginx origin, loopback; label: server CPU per image (mean of rounds)"));
        plot.SavePng(path, 1400, 700);
    }
}
