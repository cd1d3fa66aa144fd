using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Offline;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HybridIngest.Server.Tests.Infrastructure;

/// <summary>
/// One moto_server with an empty bucket and one local image origin, shared by the tests of a class
/// (each test uses its own keys and paths) and killed when the class is done.
/// </summary>
public sealed class MotoFixture : IAsyncLifetime
{
    public const string Bucket = "ingest-tests";

    public MotoProcess Moto { get; private set; } = null!;
    public IAmazonS3 S3 { get; private set; } = null!;
    public ImageOrigin Origin { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Moto = await MotoProcess.StartAsync();
        S3 = EmulatorS3.CreateClient(Moto.Endpoint);
        await S3.PutBucketAsync(Bucket);
        Origin = await ImageOrigin.StartAsync();
    }

    /// <summary>A server instance on Kestrel, on a free port, storing into this moto's bucket.</summary>
    public IngestServer StartServer(IReadOnlyDictionary<string, string>? settings = null,
        Action<IServiceCollection>? services = null) =>
        IngestServer.Start(Moto.Endpoint, Bucket, settings, services);

    /// <summary>Every key in the bucket under <paramref name="prefix"/>.</summary>
    public async Task<List<string>> KeysAsync(string prefix = "")
    {
        var listed = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix });
        return listed.S3Objects?.Select(o => o.Key).ToList() ?? [];
    }

    /// <summary>Multipart uploads begun and neither completed nor aborted.</summary>
    public async Task<int> OpenMultipartUploadsAsync()
    {
        var listed = await S3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket });
        return listed.MultipartUploads?.Count ?? 0;
    }

    public async ValueTask DisposeAsync()
    {
        S3?.Dispose();
        if (Origin is not null)
        {
            await Origin.DisposeAsync();
        }
        if (Moto is not null)
        {
            await Moto.DisposeAsync();
        }
    }
}
