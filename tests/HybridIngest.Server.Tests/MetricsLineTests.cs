using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server.Tests;

/// <summary>The server's CloudWatch Embedded Metric Format lines: one per request, one per logged refusal.</summary>
public sealed class MetricsLineTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task WritesOneEmfLinePerRequestWithItsOutcomeAndMeasures()
    {
        var url = moto.Origin.Serve("emf/ok.png", SampleImages.Png);
        var output = new MetricsOutput();
        await using var server = moto.StartServer(services: services => output.Capture(services));

        using var answer = await server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()),
            HybridIngestJsonContext.Default.ProcessImageRequest);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var line = Assert.Single(output.Lines());
        var metrics = EmbeddedMetricFormat.Parse(line).ToDictionary(m => m.Name);
        Assert.Equal(["requests", "bytes", "download_ms", "upload_ms", "total_ms", "in_flight"], metrics.Keys);
        Assert.All(metrics.Values, m => Assert.Equal(EmbeddedMetrics.Namespace, m.Namespace));
        Assert.Equal(("Count", 1.0), (metrics["requests"].Unit, metrics["requests"].Value));
        Assert.Equal(("Bytes", (double)SampleImages.Png.Bytes.Length), (metrics["bytes"].Unit, metrics["bytes"].Value));
        Assert.Equal("Milliseconds", metrics["total_ms"].Unit);
        var members = JsonDocument.Parse(line).RootElement;
        Assert.Equal("ok", members.GetProperty("outcome").GetString());
        Assert.Equal(MotoFixture.Bucket, members.GetProperty("bucket").GetString());
    }

    [Fact]
    public async Task CountsARefusalInItsOwnLine()
    {
        var held = new HeldImage(moto.Origin, "emf/held.png", hold: true);
        var output = new MetricsOutput();
        await using var server = moto.StartServer(new Dictionary<string, string>
        {
            ["INGEST_MAX_CONCURRENT_REQUESTS"] = "1",
            ["INGEST_MAX_QUEUED_REQUESTS"] = "0",
        }, services => output.Capture(services));
        var holder = PostAsync(server, held.Url);
        try
        {
            await held.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
            using var refused = await PostAsync(server, held.Url);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }
        finally
        {
            held.Release();
        }
        using (var answer = await holder)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var refusal = Assert.Single(output.Lines(), l => l.Contains("\"overloaded\"", StringComparison.Ordinal));
        var metric = Assert.Single(EmbeddedMetricFormat.Parse(refusal));
        Assert.Equal(("overloaded", "Count", 1.0), (metric.Name, metric.Unit, metric.Value));
        Assert.Single(output.Lines(), l => l.Contains("\"outcome\":\"ok\"", StringComparison.Ordinal)); // the held one, once done
    }

    /// <summary>Stands in for stdout: the server's metrics lines, written from request threads.</summary>
    sealed class MetricsOutput
    {
        readonly StringWriter _text = new();
        readonly TextWriter _writer;

        public MetricsOutput() => _writer = TextWriter.Synchronized(_text);

        public void Capture(IServiceCollection services) =>
            services.AddSingleton(provider => new IngestMetrics(provider.GetRequiredService<IMeterFactory>(),
                provider.GetRequiredService<IOptions<IngestOptions>>(), _writer));

        public string[] Lines()
        {
            lock (_writer) // the lock the synchronized writer takes for each write
            {
                return _text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    static Task<HttpResponseMessage> PostAsync(IngestServer server, Uri url) =>
        server.Client.PostAsJsonAsync("/process-image", new ProcessImageRequest(url.ToString()), HybridIngestJsonContext.Default.ProcessImageRequest);
}
