using System.Net;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>INGEST_MAX_CONCURRENT_REQUESTS: with no queue, requests beyond it are refused at once, the others carry on.</summary>
public sealed class ConcurrencyTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    static Task<HttpResponseMessage> PostAsync(IngestServer server, string url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url), HybridIngestJsonContext.Default.ProcessImageRequest);

    [Fact]
    public async Task AnswersOverloadedWithRetryAfterBeyondTheConcurrencyLimit()
    {
        var arrived = 0;
        var bothArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var url = moto.Origin.Serve("failure/held.png", OriginResponse.Image(SampleImages.Png) with
        {
            BeforeResponse = async ct =>
            {
                if (Interlocked.Increment(ref arrived) == 2)
                {
                    bothArrived.TrySetResult();
                }
                await release.Task.WaitAsync(ct);
            },
        });
        await using var server = moto.StartServer(new Dictionary<string, string>
        {
            ["INGEST_MAX_CONCURRENT_REQUESTS"] = "2",
            ["INGEST_MAX_QUEUED_REQUESTS"] = "0", // no queue: refused at once
        });
        var held = new[] { PostAsync(server, url.ToString()), PostAsync(server, url.ToString()) };
        try
        {
            await bothArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

            using var answer = await PostAsync(server, url.ToString());

            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            var problem = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ErrorResponse);
            Assert.Equal(ErrorCodes.Overloaded, problem?.Code);
            Assert.Equal(TimeSpan.FromSeconds(1), answer.Headers.RetryAfter?.Delta);
            Assert.Equal(0, arrived - 2); // the refused request never reached the origin
        }
        finally
        {
            release.TrySetResult();
        }
        foreach (var request in held)
        {
            using var answer = await request;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode); // the held requests finish normally
        }
    }
}
