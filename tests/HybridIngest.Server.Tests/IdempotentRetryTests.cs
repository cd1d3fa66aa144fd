using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests;

/// <summary>
/// The same caller-given request_id (body or X-Request-Id), sent again while or after the first
/// runs, stores one image and gets the first answer; the state is in S3, so two servers share it.
/// </summary>
public sealed class IdempotentRetryTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    static Task<HttpResponseMessage> PostAsync(IngestServer server, Uri url, string? requestId, bool inHeader = false)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/process-image")
        {
            Content = JsonContent.Create(new ProcessImageRequest(url.ToString(), RequestId: inHeader ? null : requestId),
                HybridIngestJsonContext.Default.ProcessImageRequest),
        };
        if (inHeader && requestId is not null)
        {
            message.Headers.Add("X-Request-Id", requestId);
        }
        return server.Client.SendAsync(message);
    }

    static async Task<string> OkBodyAsync(Task<HttpResponseMessage> sent)
    {
        using var answer = await sent;
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
        return body;
    }

    static ProcessImageResponse Parse(string body) =>
        System.Text.Json.JsonSerializer.Deserialize(body, HybridIngestJsonContext.Default.ProcessImageResponse)!;

    static async Task<ErrorResponse> ProblemAsync(HttpResponseMessage answer, string code)
    {
        var text = await answer.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize(text, HybridIngestJsonContext.Default.ErrorResponse)!;
        Assert.True(problem.Code == code, $"expected {code}: {text}");
        Assert.Equal((int)answer.StatusCode, problem.Status);
        return problem;
    }

    async Task<List<string>> ImagesAsync(string imageId) => [.. (await moto.KeysAsync("images/")).Where(k => k.Contains(imageId, StringComparison.Ordinal))];

    [Fact]
    public async Task SameRequestIdAgainStoresOneImageAndAnswersTheSame()
    {
        var origin = new HeldImage(moto.Origin, "retry/sequential.png");
        await using var server = moto.StartServer();

        var first = await OkBodyAsync(PostAsync(server, origin.Url, "retry-sequential"));
        var again = await OkBodyAsync(PostAsync(server, origin.Url, "retry-sequential", inHeader: true));

        Assert.Equal(first, again);
        Assert.Equal(1, origin.Requests);
        var stored = Parse(first);
        Assert.Equal([stored.Key], await ImagesAsync(stored.ImageId));
        Assert.Contains(IdempotencyRecords.Key("retry-sequential"), await moto.KeysAsync(IdempotencyRecords.KeyPrefix));
    }

    [Fact]
    public async Task ADuplicateOnAnotherServerWaitsForTheFirstAnswer()
    {
        var origin = new HeldImage(moto.Origin, "retry/concurrent.png", hold: true);
        var log = new CollectingLoggerProvider();
        await using var first = moto.StartServer();
        await using var second = moto.StartServer(
            new Dictionary<string, string> { ["Logging:LogLevel:HybridIngest.Server"] = "Debug" },
            services => services.AddSingleton<ILoggerProvider>(log));

        var running = PostAsync(first, origin.Url, "retry-concurrent");
        await origin.Arrived; // the first has claimed the id and is downloading
        var duplicate = PostAsync(second, origin.Url, "retry-concurrent");
        await log.WaitForAsync(l => l.EventId == 22).WaitAsync(TimeSpan.FromSeconds(30)); // it found the claim and waits
        origin.Release();

        var answer = await OkBodyAsync(running);
        Assert.Equal(answer, await OkBodyAsync(duplicate));
        Assert.Equal(1, origin.Requests);
        var stored = Parse(answer);
        Assert.Equal([stored.Key], await ImagesAsync(stored.ImageId));
        var line = await log.WaitForAsync(l => l.EventId == 1);
        Assert.Equal("replayed", line.State["Outcome"]);
    }

    [Fact]
    public async Task ADuplicateThatWaitedLongEnoughGets409ThenTheAnswerOnRetry()
    {
        var origin = new HeldImage(moto.Origin, "retry/in-progress.png", hold: true);
        await using var server = moto.StartServer(new Dictionary<string, string> { ["INGEST_DUPLICATE_WAIT_SECONDS"] = "0" });

        var running = PostAsync(server, origin.Url, "retry-in-progress");
        await origin.Arrived;
        using (var busy = await PostAsync(server, origin.Url, "retry-in-progress"))
        {
            var problem = await ProblemAsync(busy, ErrorCodes.RequestInProgress);
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
            Assert.Equal("1", busy.Headers.GetValues("Retry-After").Single());
            Assert.Equal("retry-in-progress", problem.RequestId);
        }
        origin.Release();

        var answer = await OkBodyAsync(running);
        Assert.Equal(answer, await OkBodyAsync(PostAsync(server, origin.Url, "retry-in-progress")));
        Assert.Equal(1, origin.Requests);
    }

    [Fact]
    public async Task FifteenDuplicatesOnTwoServersWaitForTheFirstAndAllGetItsAnswer()
    {
        // The first claims the id, then fifteen duplicates find the claim at once. Not sixteen claims at
        // the same instant: that would test the conditional write itself, which S3 lets through once
        // and moto (check, then write, without a lock) can let through twice.
        var origin = new HeldImage(moto.Origin, "retry/hammer.png", hold: true);
        var log = new CollectingLoggerProvider();
        var settings = new Dictionary<string, string>
        {
            ["INGEST_DUPLICATE_WAIT_SECONDS"] = "60", // bounds the test; the first is released long before
            ["Logging:LogLevel:HybridIngest.Server"] = "Debug",
        };
        await using var one = moto.StartServer(settings, services => services.AddSingleton<ILoggerProvider>(log));
        await using var two = moto.StartServer(settings, services => services.AddSingleton<ILoggerProvider>(log));

        var first = OkBodyAsync(PostAsync(one, origin.Url, "retry-hammer"));
        await origin.Arrived; // its claim is in S3
        var duplicates = Enumerable.Range(0, 15)
            .Select(i => OkBodyAsync(PostAsync(i % 2 == 0 ? one : two, origin.Url, "retry-hammer")))
            .ToList();
        await log.WaitForAsync(l => l.EventId == 22, count: 15).WaitAsync(TimeSpan.FromSeconds(60)); // each found the claim and waits
        origin.Release();
        var answers = await Task.WhenAll([first, .. duplicates]);

        Assert.Single(answers.Distinct());
        Assert.Equal(1, origin.Requests);
        var stored = Parse(answers[0]);
        Assert.Equal([stored.Key], await ImagesAsync(stored.ImageId));
    }

    [Fact]
    public async Task TheSameRequestIdForAnotherImageIsRefused()
    {
        var origin = new HeldImage(moto.Origin, "retry/first.png");
        var other = new HeldImage(moto.Origin, "retry/other.png");
        await using var server = moto.StartServer();
        await OkBodyAsync(PostAsync(server, origin.Url, "retry-reused"));

        using var reused = await PostAsync(server, other.Url, "retry-reused");

        await ProblemAsync(reused, ErrorCodes.RequestIdReused);
        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Equal(0, other.Requests);
    }

    [Fact]
    public async Task AFailedRequestIsNotRememberedSoItsRetryRunsAgain()
    {
        var url = moto.Origin.Serve("retry/flaky.png", OriginResponse.Status(503));
        await using var server = moto.StartServer();
        using (var failed = await PostAsync(server, url, "retry-after-failure"))
        {
            await ProblemAsync(failed, ErrorCodes.DownloadFailed);
        }
        Assert.DoesNotContain(IdempotencyRecords.Key("retry-after-failure"), await moto.KeysAsync(IdempotencyRecords.KeyPrefix));

        moto.Origin.Serve("retry/flaky.png", SampleImages.Png);
        var stored = Parse(await OkBodyAsync(PostAsync(server, url, "retry-after-failure")));

        Assert.Equal([stored.Key], await ImagesAsync(stored.ImageId));
    }

    [Fact]
    public async Task AClaimLeftByACrashedServerIsTakenOverOnceOlderThanTheLongestRequest()
    {
        var origin = new HeldImage(moto.Origin, "retry/orphaned.png");
        // What a server killed between its claim and its answer leaves: an empty record.
        await moto.S3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
        {
            BucketName = MotoFixture.Bucket,
            Key = IdempotencyRecords.Key("retry-orphaned"),
            ContentBody = "",
            Metadata = { ["image-url-sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin.Url.AbsoluteUri))) },
        });
        await using (var now = moto.StartServer(new Dictionary<string, string> { ["INGEST_DUPLICATE_WAIT_SECONDS"] = "0" }))
        {
            using var busy = await PostAsync(now, origin.Url, "retry-orphaned");
            await ProblemAsync(busy, ErrorCodes.RequestInProgress); // young: it may still be running
        }

        var later = new ShiftedClock(UploadSweeper.StaleAfter(new IngestOptions()) + TimeSpan.FromMinutes(1));
        await using var server = moto.StartServer(services: services => services.AddSingleton<TimeProvider>(later));
        var answer = await OkBodyAsync(PostAsync(server, origin.Url, "retry-orphaned"));

        Assert.Equal(1, origin.Requests);
        Assert.Equal(answer, await OkBodyAsync(PostAsync(server, origin.Url, "retry-orphaned")));
        var stored = Parse(answer);
        Assert.Equal([stored.Key], await ImagesAsync(stored.ImageId));
    }

    [Fact]
    public async Task DifferentRequestIdsOrNoneStoreAnImageEachTime()
    {
        var origin = new HeldImage(moto.Origin, "retry/distinct.png");
        await using var server = moto.StartServer();
        var recordsBefore = await moto.KeysAsync(IdempotencyRecords.KeyPrefix);

        var answers = new List<ProcessImageResponse>();
        foreach (var requestId in new[] { "retry-distinct-1", "retry-distinct-2", null, null })
        {
            answers.Add(Parse(await OkBodyAsync(PostAsync(server, origin.Url, requestId))));
        }

        Assert.Equal(4, answers.Select(a => a.ImageId).Distinct().Count());
        Assert.Equal(4, origin.Requests);
        foreach (var answer in answers)
        {
            Assert.Equal([answer.Key], await ImagesAsync(answer.ImageId));
        }
        // Only a caller's own id is recorded: a generated one can never come back as a retry.
        Assert.Equal(2, (await moto.KeysAsync(IdempotencyRecords.KeyPrefix)).Except(recordsBefore).Count());
    }
}
