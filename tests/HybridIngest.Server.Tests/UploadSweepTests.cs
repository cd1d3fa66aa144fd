using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests;

/// <summary>
/// A server killed mid-multipart-upload leaves the upload open; the next server to start aborts it,
/// but never an upload that a request on another server may still be writing.
/// </summary>
public sealed class UploadSweepTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    /// <summary>A body of unknown length whose first 5.5 MiB arrive at once (part 1 goes to S3), then the origin stalls.</summary>
    Uri StalledMultipartImage(string path) => moto.Origin.Serve(path, new OriginResponse(SampleImages.NoisePng(6 * 1024 * 1024).Bytes)
    {
        SendContentLength = false,
        ChunkSize = 5 * 1024 * 1024 + 512 * 1024,
        ChunkDelay = TimeSpan.FromHours(1),
    });

    // moto is another process with no way to signal: a bounded poll of its state.
    async Task WaitForOpenUploadAsync()
    {
        for (var attempt = 0; await moto.OpenMultipartUploadsAsync() == 0; attempt++)
        {
            Assert.True(attempt < 300, "the multipart upload never started");
            await Task.Delay(100);
        }
    }

    static (IngestServer Server, Task<LogLine> Swept) StartServer(MotoFixture moto, TimeProvider? clock = null)
    {
        var log = new CollectingLoggerProvider();
        var server = moto.StartServer(
            new Dictionary<string, string> { ["Logging:LogLevel:HybridIngest.Server"] = "Information" },
            services =>
            {
                services.AddSingleton<ILoggerProvider>(log);
                if (clock is not null)
                {
                    services.AddSingleton(clock);
                }
            });
        return (server, log.WaitForAsync(l => l.EventId == 20));
    }

    [Fact]
    public async Task NextStartAbortsTheUploadOfAServerKilledMidMultipart()
    {
        var url = StalledMultipartImage("sweep/killed.png");
        var killed = await ServerProcess.StartAsync(RepositoryLayout.BuiltServerDll,
            ServerProcess.LocalSettings(moto.Moto.Endpoint, MotoFixture.Bucket));
        Task<HttpResponseMessage> request;
        using (var client = new HttpClient { BaseAddress = killed.BaseUrl })
        {
            request = client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
                HybridIngestJsonContext.Default.ProcessImageRequest);
            await WaitForOpenUploadAsync();
            await killed.DisposeAsync(); // SIGKILL: no clean-up of its own
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => request);
        }
        Assert.Equal(1, await moto.OpenMultipartUploadsAsync());

        // The next start, later than the longest request can take (a clock moved on, not a wait).
        var later = new ShiftedClock(UploadSweeper.StaleAfter(new IngestOptions()) + TimeSpan.FromMinutes(1));
        var (next, swept) = StartServer(moto, later);
        await using (next)
        {
            var line = await swept.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(1, line.State["Open"]);
            Assert.Equal(1, line.State["Aborted"]);
            Assert.Equal(0, await moto.OpenMultipartUploadsAsync());
            Assert.Empty(await moto.KeysAsync());
        }
    }

    [Fact]
    public async Task AnUploadInProgressOnAnotherServerIsLeftAlone()
    {
        var url = StalledMultipartImage("sweep/in-progress.png");
        await using var busy = moto.StartServer();
        using var caller = new CancellationTokenSource();
        var request = busy.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest, caller.Token);
        await WaitForOpenUploadAsync();

        // moto answers every upload's Initiated as 2010: the age must come from the image id's time.
        var (other, swept) = StartServer(moto);
        await using (other)
        {
            var line = await swept.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(1, line.State["Open"]);
            Assert.Equal(0, line.State["Aborted"]);
            Assert.Equal(1, await moto.OpenMultipartUploadsAsync());
        }
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
    }

    [Fact]
    public void AnUploadBeganAtTheLaterOfS3sTimeAndItsImageIdsTime()
    {
        var created = new DateTimeOffset(2026, 12, 2, 4, 30, 0, 123, TimeSpan.Zero);
        var key = $"images/{Guid.CreateVersion7(created)}.png";

        Assert.Equal(created, UploadSweeper.ImageIdTime(key));
        Assert.Null(UploadSweeper.ImageIdTime($"images/{Guid.NewGuid()}.png")); // v4: no time in it
        Assert.Null(UploadSweeper.ImageIdTime("images/not-an-id.png"));
        Assert.Equal(created, UploadSweeper.Began(new Amazon.S3.Model.MultipartUpload { Key = key, Initiated = new DateTime(2010, 11, 10, 20, 48, 33, DateTimeKind.Utc) }));
        var initiated = created.AddSeconds(1);
        Assert.Equal(initiated, UploadSweeper.Began(new Amazon.S3.Model.MultipartUpload { Key = key, Initiated = initiated.UtcDateTime }));
    }
}
