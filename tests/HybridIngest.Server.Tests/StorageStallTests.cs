using System.Net;
using System.Net.Http.Json;
using Amazon.Runtime;
using Amazon.S3;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests;

/// <summary>S3 freezes (SIGSTOP on the test's own moto): every S3 call has a deadline, /ready says so, and both recover.</summary>
public sealed class StorageStallTests
{
    [Fact]
    public async Task FrozenS3GivesStorageFailedWithinTheDeadlineAndNotReadyThenRecovers()
    {
        await using var moto = await MotoProcess.StartAsync();
        using (var s3 = new AmazonS3Client(new BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey),
            new AmazonS3Config { ServiceURL = moto.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" }))
        {
            await s3.PutBucketAsync(MotoFixture.Bucket);
        }
        await using var origin = await ImageOrigin.StartAsync();
        var url = origin.Serve("stall/cat.jpg", SampleImages.Jpeg).ToString();
        var log = new CollectingLoggerProvider();
        await using var server = IngestServer.Start(moto.Endpoint, MotoFixture.Bucket, new Dictionary<string, string>
        {
            ["INGEST_S3_ATTEMPT_TIMEOUT_SECONDS"] = "1",
            ["INGEST_S3_TIMEOUT_SECONDS"] = "2",
        }, services => services.AddSingleton<ILoggerProvider>(log));
        // Without the deadlines the request would wait for S3 as long as it is frozen: this bounds the test.
        server.Client.Timeout = TimeSpan.FromSeconds(60);
        using (var ok = await PostAsync(server, url))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Signals.Send(moto.ProcessId, Signals.Stop);
        try
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostAsync(server, url)));
            foreach (var answer in answers)
            {
                using (answer)
                {
                    var problem = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ErrorResponse);
                    Assert.Equal(HttpStatusCode.BadGateway, answer.StatusCode);
                    Assert.Equal(ErrorCodes.StorageFailed, problem?.Code);
                }
            }
            var failed = log.Lines.Where(l => l.EventId == 1 && (string?)l.State["Outcome"] == ErrorCodes.StorageFailed).ToList();
            Assert.Equal(3, failed.Count);
            Assert.All(failed, line => Assert.Contains("did not answer within", (string?)line.State["Detail"]));
            // Each failed store's clean-up (DeleteObject) failed too: one line in full, the others counted.
            Assert.Single(log.Lines, l => l.EventId == 3);

            using var notReady = await server.Client.GetAsync("/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }
        finally
        {
            Signals.Send(moto.ProcessId, Signals.Continue);
        }

        // moto works through what queued up while it was stopped: a bounded poll until it answers again.
        for (var attempt = 0; ; attempt++)
        {
            using var ready = await server.Client.GetAsync("/ready");
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                break;
            }
            Assert.True(attempt < 100, "/ready did not recover after SIGCONT");
            await Task.Delay(100);
        }
        using var again = await PostAsync(server, url);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    static Task<HttpResponseMessage> PostAsync(IngestServer server, string url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url), HybridIngestJsonContext.Default.ProcessImageRequest);
}
