using System.Net;
using System.Net.Http.Json;
using System.Text;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>
/// Each failure the issue lists answers its stable code as application/problem+json, with the status
/// of its kind, no stack trace, and nothing left in S3: no object and no open multipart upload. The
/// class's bucket only ever receives failed requests, so "nothing left" means an empty bucket.
/// </summary>
public sealed class FailureTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    static readonly Dictionary<string, string> SmallLimit = new() { ["INGEST_MAX_IMAGE_BYTES"] = "1000" };

    static Task<HttpResponseMessage> PostAsync(IngestServer server, string url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url), HybridIngestJsonContext.Default.ProcessImageRequest);

    async Task<ErrorResponse> AssertProblemAsync(HttpResponseMessage answer, string code, HttpStatusCode status)
    {
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(status == answer.StatusCode, $"expected {(int)status} {code}, got {(int)answer.StatusCode}: {text}");
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize(text, HybridIngestJsonContext.Default.ErrorResponse);
        Assert.NotNull(problem);
        Assert.Equal(code, problem.Code);
        Assert.Equal((int)status, problem.Status);
        Assert.False(problem.Success);
        Assert.StartsWith(problem.Title, problem.Error);
        Assert.Equal(answer.Headers.GetValues(ServerHeaders.RequestId).Single(), problem.RequestId);
        Assert.DoesNotContain("   at ", text);
        Assert.Empty(await moto.KeysAsync());
        Assert.Equal(0, await moto.OpenMultipartUploadsAsync());
        return problem;
    }

    [Theory]
    [InlineData("invalid JSON", "{\"image_url\": ")]
    [InlineData("image_url missing", "{\"timestamp\": \"2024-05-01T12:34:56\"}")]
    [InlineData("request_id not a token", "{\"image_url\": \"http://example.com/a.png\", \"request_id\": \"a b\"}")]
    public async Task RejectsMalformedRequestAsInvalidRequest(string kind, string json)
    {
        await using var server = moto.StartServer();
        using var answer = await server.Client.PostAsync("/process-image", new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(answer, ErrorCodes.InvalidRequest, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem.Detail), kind);
    }

    [Fact]
    public async Task RejectsRequestBodyOverTheLimitWith413()
    {
        await using var server = moto.StartServer();
        var json = $"{{\"image_url\": \"http://example.com/a.png\", \"timestamp\": \"{new string('x', 17 * 1024)}\"}}";
        using var answer = await server.Client.PostAsync("/process-image", new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(answer, ErrorCodes.InvalidRequest, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task RejectsNonHttpSchemeAsInvalidUrl()
    {
        await using var server = moto.StartServer();
        using var answer = await PostAsync(server, "ftp://example.com/cat.png");
        var problem = await AssertProblemAsync(answer, ErrorCodes.InvalidUrl, HttpStatusCode.BadRequest);
        Assert.Contains("ftp", problem.Detail);
    }

    [Theory]
    [InlineData(404, HttpStatusCode.BadRequest)] // the caller's URL is wrong, as the seed lab says
    [InlineData(403, HttpStatusCode.BadRequest)]
    [InlineData(410, HttpStatusCode.BadRequest)]
    [InlineData(408, HttpStatusCode.BadGateway)] // the origin was slow or busy: may pass on a retry
    [InlineData(429, HttpStatusCode.BadGateway)]
    [InlineData(500, HttpStatusCode.BadGateway)]
    [InlineData(503, HttpStatusCode.BadGateway)]
    public async Task ReportsOriginErrorStatusAsDownloadFailed(int status, HttpStatusCode expected)
    {
        var url = moto.Origin.Serve($"failure/status-{status}.png", OriginResponse.Status(status, "nope"));
        await using var server = moto.StartServer();
        using var answer = await PostAsync(server, url.ToString());
        var problem = await AssertProblemAsync(answer, ErrorCodes.DownloadFailed, expected);
        Assert.Contains($"{status}", problem.Detail);
    }

    [Fact]
    public async Task RejectsHtmlServedAsPngAsNotAnImage()
    {
        var url = moto.Origin.Serve("failure/page.png",
            new OriginResponse(Encoding.UTF8.GetBytes("<!DOCTYPE html><html></html>")) { ContentType = "image/png" });
        await using var server = moto.StartServer();
        using var answer = await PostAsync(server, url.ToString());
        await AssertProblemAsync(answer, ErrorCodes.NotAnImage, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task RejectsImageOverTheLimitByContentLength()
    {
        var url = moto.Origin.Serve("failure/large-announced.png", SampleImages.Png); // 3560 bytes > 1000
        await using var server = moto.StartServer(SmallLimit);
        using var answer = await PostAsync(server, url.ToString());
        var problem = await AssertProblemAsync(answer, ErrorCodes.TooLarge, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("announced", problem.Detail);
    }

    [Fact]
    public async Task RejectsImageOverTheLimitWhileStreamingWithoutContentLength()
    {
        var url = moto.Origin.Serve("failure/large-chunked.png",
            new OriginResponse(SampleImages.Png.Bytes) { SendContentLength = false, ChunkSize = 500 });
        await using var server = moto.StartServer(SmallLimit);
        using var answer = await PostAsync(server, url.ToString());
        var problem = await AssertProblemAsync(answer, ErrorCodes.TooLarge, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("stopped after", problem.Detail);
    }

    [Fact]
    public async Task ReportsSilentOriginAsOriginTimeout()
    {
        var url = moto.Origin.Serve("failure/silent.png",
            OriginResponse.Image(SampleImages.Png) with { BeforeResponse = ct => Task.Delay(Timeout.Infinite, ct) });
        await using var server = moto.StartServer(new Dictionary<string, string> { ["INGEST_DOWNLOAD_TIMEOUT_SECONDS"] = "0.5" });
        using var answer = await PostAsync(server, url.ToString());
        await AssertProblemAsync(answer, ErrorCodes.OriginTimeout, HttpStatusCode.GatewayTimeout);
    }

    [Fact]
    public async Task ReportsOriginStalledMidUploadAsOriginTimeoutAndLeavesNoObject()
    {
        // The first chunk (the sniffed header and more) arrives, so the upload to S3 has begun when
        // the origin stalls.
        var url = moto.Origin.Serve("failure/stalled.png",
            new OriginResponse(SampleImages.NoisePng(200_000).Bytes) { ChunkSize = 64 * 1024, ChunkDelay = TimeSpan.FromHours(1) });
        await using var server = moto.StartServer(new Dictionary<string, string> { ["INGEST_DOWNLOAD_TIMEOUT_SECONDS"] = "0.5" });
        using var answer = await PostAsync(server, url.ToString());
        var problem = await AssertProblemAsync(answer, ErrorCodes.OriginTimeout, HttpStatusCode.GatewayTimeout);
        Assert.Contains("65536 bytes received", problem.Detail);
    }

    [Fact]
    public async Task ReportsOriginClosingEarlyAsDownloadFailedAndLeavesNoObject()
    {
        var image = SampleImages.NoisePng(200_000);
        var url = moto.Origin.Serve("failure/short.png", new OriginResponse(image.Bytes) { DeclaredLength = image.Bytes.Length * 2L });
        await using var server = moto.StartServer();
        using var answer = await PostAsync(server, url.ToString());
        await AssertProblemAsync(answer, ErrorCodes.DownloadFailed, HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task RefusesMetadataAddress()
    {
        await using var server = moto.StartServer(new Dictionary<string, string> { [ServerSettingNames.AllowedPrivateCidrs] = "" });
        using var answer = await PostAsync(server, "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
        await AssertProblemAsync(answer, ErrorCodes.BlockedDestination, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RefusesLoopbackWithoutTheAllowlistBeforeConnecting()
    {
        var requests = 0;
        var url = moto.Origin.Serve("failure/loopback.png", OriginResponse.Image(SampleImages.Png) with
        {
            BeforeResponse = _ => { Interlocked.Increment(ref requests); return Task.CompletedTask; },
        });
        await using var server = moto.StartServer(new Dictionary<string, string> { [ServerSettingNames.AllowedPrivateCidrs] = "" });
        using var answer = await PostAsync(server, url.ToString());
        var problem = await AssertProblemAsync(answer, ErrorCodes.BlockedDestination, HttpStatusCode.Forbidden);
        Assert.Contains("loopback", problem.Detail);
        Assert.Equal(0, requests);
    }

    [Fact]
    public async Task ReportsS3WriteFailureAsStorageFailed()
    {
        var url = moto.Origin.Serve("failure/no-bucket.png", SampleImages.Png);
        await using var server = moto.StartServer(new Dictionary<string, string> { ["S3_BUCKET"] = "bucket-that-does-not-exist" });
        using var answer = await PostAsync(server, url.ToString());
        var problem = await AssertProblemAsync(answer, ErrorCodes.StorageFailed, HttpStatusCode.BadGateway);
        Assert.Contains("bucket-that-does-not-exist", problem.Detail);
    }
}
