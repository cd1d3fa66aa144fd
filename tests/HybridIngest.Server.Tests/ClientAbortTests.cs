using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests;

/// <summary>A caller that goes away mid-upload leaves nothing behind either.</summary>
public sealed class ClientAbortTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task CallerLeavingMidMultipartUploadLeavesNoUploadAndNoObject()
    {
        // Chunked, so the server uploads in parts: the first 5.5 MiB arrive at once (part 1 goes to
        // S3), then the origin stalls.
        var image = SampleImages.NoisePng(6 * 1024 * 1024);
        var url = moto.Origin.Serve("abort/stalled.png", new OriginResponse(image.Bytes)
        {
            SendContentLength = false,
            ChunkSize = 5 * 1024 * 1024 + 512 * 1024,
            ChunkDelay = TimeSpan.FromHours(1),
        });
        var log = new CollectingLoggerProvider();
        await using var server = moto.StartServer(
            new Dictionary<string, string> { ["Logging:LogLevel:HybridIngest.Server"] = "Information" },
            services => services.AddSingleton<ILoggerProvider>(log));
        using var caller = new CancellationTokenSource();
        var request = server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest, caller.Token);

        // moto is another process with no way to signal: a bounded poll of its state.
        for (var attempt = 0; await moto.OpenMultipartUploadsAsync() == 0; attempt++)
        {
            Assert.True(attempt < 300, "the multipart upload never started");
            await Task.Delay(100);
        }
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        // The request's log line is written once its clean-up is done.
        var line = await log.WaitForAsync(l => l.EventId == 1).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("client_closed", line.State["Outcome"]);
        Assert.Equal(0, await moto.OpenMultipartUploadsAsync());
        Assert.Empty(await moto.KeysAsync());
    }
}
