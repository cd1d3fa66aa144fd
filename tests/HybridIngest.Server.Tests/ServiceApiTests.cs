using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Server.Tests.Infrastructure;

namespace HybridIngest.Server.Tests;

public sealed class ServiceApiTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task HealthSaysHealthy()
    {
        await using var server = moto.StartServer();
        var health = await server.Client.GetFromJsonAsync("/health", HybridIngestJsonContext.Default.HealthResponse);
        Assert.Equal("healthy", health?.Status);
        Assert.Equal(MotoFixture.Bucket, health?.Bucket);
    }

    [Fact]
    public async Task HealthHasTheServersUtcTimeInIso8601()
    {
        await using var server = moto.StartServer();
        var before = DateTimeOffset.UtcNow;
        var health = await server.Client.GetFromJsonAsync("/health", HybridIngestJsonContext.Default.HealthResponse);
        var after = DateTimeOffset.UtcNow;

        Assert.True(DateTimeOffset.TryParseExact(health?.Timestamp, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var timestamp),
            $"not ISO 8601 round-trip: {health?.Timestamp}");
        Assert.Equal(TimeSpan.Zero, timestamp.Offset);
        Assert.InRange(timestamp, before, after);
    }

    [Fact]
    public async Task ReadyWhenTheBucketAnswers()
    {
        await using var server = moto.StartServer();
        using var answer = await server.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("ready", (await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.HealthResponse))?.Status);
    }

    [Fact]
    public async Task NotReadyWhenTheBucketDoesNotExist()
    {
        await using var server = moto.StartServer(new Dictionary<string, string> { ["S3_BUCKET"] = "no-such-bucket" });
        using var answer = await server.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        var health = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.HealthResponse);
        Assert.Equal("unavailable", health?.Status);
        Assert.Contains("no-such-bucket", health?.Detail);
    }

    [Fact]
    public async Task RootDescribesTheService()
    {
        await using var server = moto.StartServer();
        var info = await server.Client.GetFromJsonAsync("/", HybridIngestJsonContext.Default.ServiceInfo);
        Assert.Equal("hybrid-ingest-server", info?.Service);
        Assert.Contains("POST /process-image", info!.Endpoints.Keys);
        Assert.Contains("POST /test-process", info.Endpoints.Keys);
    }
}
