using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Offline;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>
/// The whole pipeline on loopback: moto (S3), a local image origin, the real server as a process,
/// and the local Lambda host running the published Native AOT bootstrap with SERVER_URL at the server.
/// </summary>
public sealed class IngestStack : IAsyncLifetime
{
    public const string Bucket = "hybrid-ingest-images";
    public const string FunctionName = "hybrid-ingest";

    MotoServer? _moto;
    ImageOrigin? _origin;
    Process? _server;

    public LocalLambdaHost Host { get; private set; } = null!;
    public AmazonS3Client S3 { get; private set; } = null!;
    public Uri ServerUrl { get; private set; } = null!;
    internal HostLog Log { get; } = new();
    public ImageOrigin Origin => _origin!;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose initialisation failed: stop what did start.
            await DisposeAsync();
            throw;
        }
    }

    async Task StartAsync()
    {
        var bootstrap = Bootstraps.PublishedAsync();
        _moto = await MotoServer.StartAsync();
        S3 = new AmazonS3Client(new BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey),
            new AmazonS3Config { ServiceURL = _moto.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await S3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
        _origin = await ImageOrigin.StartAsync();
        (_server, ServerUrl) = await StartServerAsync(_moto, _origin.BaseUrl.Port);
        Host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
        {
            FunctionName = FunctionName,
            BootstrapPath = await bootstrap,
            Environment = new Dictionary<string, string> { ["SERVER_URL"] = ServerUrl.ToString().TrimEnd('/') },
            TimeoutSeconds = 30,
            MaxConcurrency = 16,
            Log = Log.Write,
        });
    }

    /// <summary>The server as the instance runs it, on a free port, once it answers /health.</summary>
    static async Task<(Process, Uri)> StartServerAsync(MotoServer moto, int originPort)
    {
        var serverDll = Path.Combine(RepositoryPaths.Root, "src", "HybridIngest.Server", "bin", RepositoryPaths.Configuration, "net10.0", "HybridIngest.Server.dll");
        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { serverDll, "--urls", url.ToString().TrimEnd('/') },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["S3_BUCKET"] = Bucket,
                ["AWS_ENDPOINT_URL_S3"] = moto.Endpoint.ToString().TrimEnd('/'),
                ["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId,
                ["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey,
                ["AWS_REGION"] = "us-east-1",
                ["INGEST_ALLOWED_PRIVATE_CIDRS"] = "127.0.0.1/32",
                ["INGEST_ALLOWED_PORTS"] = originPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        var process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        // Bounded readiness poll of an external process.
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The server ({serverDll}) exited with code {process.ExitCode} before serving:\n{string.Join('\n', output)}");
            }
            try
            {
                using var health = await http.GetAsync(new Uri(url, "health"));
                if (health.IsSuccessStatusCode)
                {
                    return (process, url);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("The server did not answer /health within 60 s.");
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        if (_server is not null)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
            _server.Dispose();
        }
        if (_origin is not null)
        {
            await _origin.DisposeAsync();
        }
        S3?.Dispose();
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }
    }
}
