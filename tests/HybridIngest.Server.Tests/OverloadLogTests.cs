using System.Net;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests;

/// <summary>Overload cannot flood the log: refusals are counted, not logged one line each.</summary>
public sealed class OverloadLogTests(MotoFixture moto, ITestOutputHelper output) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task TwentySecondsAt128ConnectionsWriteFewerThan100LinesAboutOverload()
    {
        const int connections = 128;
        const int requestsPerConnection = 200; // bounds the load in count as well as in time
        var held = new HeldImage(moto.Origin, "overload/held.png", hold: true);
        var log = new CollectingLoggerProvider();
        await using var server = moto.StartServer(new Dictionary<string, string>
        {
            ["INGEST_MAX_CONCURRENT_REQUESTS"] = "1", // held by one request: every other one is refused
            ["INGEST_MAX_QUEUED_REQUESTS"] = "0",
            ["Logging:LogLevel:HybridIngest.Server"] = "Information",
        }, services => services.AddSingleton<ILoggerProvider>(log));
        var holder = PostAsync(server, held.Url.ToString());
        int refused;
        try
        {
            await held.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
            using var duration = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var counts = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
            {
                var refusedHere = 0;
                for (var i = 0; i < requestsPerConnection && !duration.IsCancellationRequested; i++)
                {
                    using var answer = await PostAsync(server, held.Url.ToString());
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                    refusedHere++;
                }
                return refusedHere;
            })));
            refused = counts.Sum();
        }
        finally
        {
            held.Release();
        }
        using (var answer = await holder)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var aboutOverload = log.Lines.Count(l => l.EventId is 2 or 5
            || (l.EventId == 1 && (string?)l.State["Outcome"] == ErrorCodes.Overloaded));
        output.WriteLine($"{refused} requests refused at {connections} connections; {aboutOverload} log lines about overload, {log.Lines.Count} in all");
        Assert.True(refused >= 1000, $"only {refused} requests were refused: the load did not overload the server");
        Assert.True(aboutOverload < 100, $"{aboutOverload} log lines about overload for {refused} refused requests");
        Assert.Equal(1, log.Lines.Count(l => l.EventId == 2)); // the first one in full
        var ready = await server.Client.GetFromJsonAsync("/ready", HybridIngestJsonContext.Default.HealthResponse);
        Assert.Equal(refused, ready?.Admission?.Refused);
    }

    static Task<HttpResponseMessage> PostAsync(IngestServer server, string url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url), HybridIngestJsonContext.Default.ProcessImageRequest);
}
