using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>
/// The whole pipeline on loopback: moto (S3), a local image origin, the real server as a process,
/// and the local Lambda host running the published Native AOT bootstrap with SERVER_URL at the server.
/// </summary>
public sealed class IngestStack : IAsyncLifetime
{
    public const string Bucket = "hybrid-ingest-images";
    public const string FunctionName = "hybrid-ingest";

    MotoProcess? _moto;
    ImageOrigin? _origin;
    ServerProcess? _server;
    OtlpReceiver? _otlp;

    public LocalLambdaHost Host { get; private set; } = null!;
    public AmazonS3Client S3 { get; private set; } = null!;
    internal HostLog Log { get; } = new();
    public ImageOrigin Origin => _origin!;

    /// <summary>The collector both the server and the function export their spans to.</summary>
    public OtlpReceiver Otlp => _otlp!;

    public async ValueTask InitializeAsync()
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
        _moto = await MotoProcess.StartAsync();
        S3 = EmulatorS3.CreateClient(_moto.Endpoint);
        await S3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
        _origin = await ImageOrigin.StartAsync();
        _otlp = await OtlpReceiver.StartAsync();
        var settings = ServerProcess.LocalSettings(_moto.Endpoint, Bucket);
        settings["INGEST_ALLOWED_PORTS"] = _origin.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[TelemetryNames.OtlpEndpoint] = _otlp.Endpoint.ToString().TrimEnd('/');
        settings[TelemetryNames.OtlpProtocol] = "http/protobuf";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "100"; // the SDK's batch, sent every 100 ms instead of 5 s
        _server = await ServerProcess.StartAsync(RepositoryLayout.BuiltServerDll, settings);
        Host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
        {
            FunctionName = FunctionName,
            BootstrapPath = await bootstrap,
            Environment = new Dictionary<string, string>
            {
                [FunctionEnvironmentVariables.ServerUrl] = _server.BaseUrl.ToString().TrimEnd('/'),
                [TelemetryNames.OtlpEndpoint] = _otlp.Endpoint.ToString().TrimEnd('/'),
            },
            TimeoutSeconds = 30,
            MaxConcurrency = 16,
            Log = Log.Write,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_origin is not null)
        {
            await _origin.DisposeAsync();
        }
        if (_otlp is not null)
        {
            await _otlp.DisposeAsync();
        }
        S3?.Dispose();
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }
    }
}
