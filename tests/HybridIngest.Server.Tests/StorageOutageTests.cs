using System.Net;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>S3 goes away under a running server: its own moto, stopped mid-test.</summary>
public sealed class StorageOutageTests
{
    [Fact]
    public async Task ReportsUnreachableS3AsStorageFailedAndNotReady()
    {
        await using var moto = await MotoProcess.StartAsync();
        using (var s3 = EmulatorS3.CreateClient(moto.Endpoint))
        {
            await s3.PutBucketAsync(MotoFixture.Bucket);
        }
        await using var origin = await ImageOrigin.StartAsync();
        var url = origin.Serve("outage/cat.jpg", SampleImages.Jpeg);
        await using var server = IngestServer.Start(moto.Endpoint, MotoFixture.Bucket);
        using (var ready = await server.Client.GetAsync("/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await moto.StopAsync();

        using var answer = await server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.BadGateway, text);
        var problem = System.Text.Json.JsonSerializer.Deserialize(text, HybridIngestJsonContext.Default.ErrorResponse);
        Assert.Equal(ErrorCodes.StorageFailed, problem?.Code);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain(moto.Endpoint.Authority, text); // the storage endpoint is the server's business

        using var notReady = await server.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
    }
}
