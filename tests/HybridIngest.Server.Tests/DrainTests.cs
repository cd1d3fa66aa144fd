using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>SIGTERM to a real server process under load: it drains, and no request goes unanswered.</summary>
public sealed class DrainTests(MotoFixture moto, ITestOutputHelper output) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task SigtermUnderLoadAnswersEveryRequestWith200Or503AndResetsNone()
    {
        const int loadClients = 16;
        var arrivals = 0;
        var bothHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFinishing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OriginResponse Held(Task release) => OriginResponse.Image(SampleImages.Png) with
        {
            BeforeResponse = async ct =>
            {
                if (Interlocked.Increment(ref arrivals) == 2)
                {
                    bothHeld.TrySetResult();
                }
                await release.WaitAsync(ct);
            },
        };
        var finishing = moto.Origin.Serve("drain/finishes.png", Held(releaseFinishing.Task)); // released during the drain
        var outlasting = moto.Origin.Serve("drain/outlasts.png", Held(Task.Delay(Timeout.Infinite))); // still running when it ends
        var quick = moto.Origin.Serve("drain/quick.png", SampleImages.Png).ToString();

        var logLines = new ConcurrentQueue<string>();
        var settings = ServerProcess.LocalSettings(moto.Moto.Endpoint, MotoFixture.Bucket);
        settings["INGEST_DRAIN_SECONDS"] = "3";
        settings["Logging__Console__LogToStandardErrorThreshold"] = "Trace"; // its log on stderr, where ServerProcess passes it on
        await using var server = await ServerProcess.StartAsync(RepositoryLayout.BuiltServerDll, settings, logLines.Enqueue);
        using var client = new HttpClient { BaseAddress = server.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        Task<HttpResponseMessage> Post(string url) => client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url),
            HybridIngestJsonContext.Default.ProcessImageRequest);

        var finishingAnswer = Post(finishing.ToString());
        var outlastingAnswer = Post(outlasting.ToString());
        await bothHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var loadStop = new CancellationTokenSource();
        var answers = new ConcurrentBag<HttpStatusCode>();
        var failures = new ConcurrentBag<Exception>();
        var load = Enumerable.Range(0, loadClients).Select(_ => Task.Run(async () =>
        {
            // Each client sends until it is refused (the drain has begun), at most 500 requests.
            for (var i = 0; i < 500; i++)
            {
                try
                {
                    using var answer = await Post(quick);
                    answers.Add(answer.StatusCode);
                    if (answer.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        await AssertDrainRefusalAsync(answer);
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    failures.Add(e);
                    return;
                }
            }
        })).ToArray();
        while (answers.IsEmpty && failures.IsEmpty)
        {
            await Task.Delay(10); // the load is under way before the signal
        }

        Signals.Send(server.ProcessId, Signals.Terminate);
        for (var attempt = 0; ; attempt++)
        {
            using var ready = await client.GetAsync("/ready");
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                break;
            }
            Assert.True(attempt < 200, "/ready did not turn 503 after SIGTERM");
            await Task.Delay(10);
        }
        releaseFinishing.TrySetResult();
        await Task.WhenAll(load);
        using var finished = await finishingAnswer;
        using var cut = await outlastingAnswer;
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await server.WaitForExitAsync(exited.Token);

        output.WriteLine($"{answers.Count} load requests: {answers.Count(s => s == HttpStatusCode.OK)} x 200, " +
            $"{answers.Count(s => s == HttpStatusCode.ServiceUnavailable)} x 503, {failures.Count} failed without an answer; " +
            $"held requests: {(int)finished.StatusCode} (released during the drain), {(int)cut.StatusCode} (outlasting it)");
        Assert.Empty(failures);
        Assert.All(answers, status => Assert.Contains(status, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        Assert.Equal(loadClients, answers.Count(s => s == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        await AssertDrainRefusalAsync(cut);
        Assert.Contains(logLines, l => l.Contains("\"Outcome\":\"shutdown\"", StringComparison.Ordinal));
        Assert.DoesNotContain(logLines, l => l.Contains("\"Outcome\":\"client_closed\"", StringComparison.Ordinal));
    }

    static async Task AssertDrainRefusalAsync(HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ErrorCodes.Overloaded, (await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ErrorResponse))?.Code);
        Assert.Equal(TimeSpan.FromSeconds(1), answer.Headers.RetryAfter?.Delta);
    }
}
