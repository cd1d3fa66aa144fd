using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests;

/// <summary>Each <c>POST /process-image</c> writes exactly one structured log line, success or not.</summary>
public sealed class LogLineTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    static readonly Dictionary<string, string> RequestLogOn = new() { ["Logging:LogLevel:HybridIngest.Server"] = "Information" };

    [Fact]
    public async Task WritesOneStructuredLineForASuccess()
    {
        var url = moto.Origin.Serve("log/ok.webp", SampleImages.WebP);
        var log = new CollectingLoggerProvider();
        await using var server = moto.StartServer(RequestLogOn, services => services.AddSingleton<ILoggerProvider>(log));

        using var answer = await server.Client.PostAsJsonAsync("/process-image",
            new ProcessImageRequest(url.ToString(), RequestId: "log-ok"), HybridIngestJsonContext.Default.ProcessImageRequest);
        var body = await answer.Content.ReadFromJsonAsync(HybridIngestJsonContext.Default.ProcessImageResponse);

        var line = Assert.Single(log.Lines, l => l.EventId == 1);
        Assert.Equal("log-ok", line.State["RequestId"]);
        Assert.Equal("ok", line.State["Outcome"]);
        Assert.Equal(200, line.State["Status"]);
        Assert.Equal("127.0.0.1", line.State["OriginHost"]);
        Assert.Equal((long)SampleImages.WebP.Bytes.Length, line.State["Bytes"]);
        Assert.Equal(body?.Key, line.State["Key"]);
        Assert.All(new[] { "DownloadMs", "UploadMs", "TotalMs" }, name => Assert.IsType<long>(line.State[name]));
    }

    [Fact]
    public async Task WritesOneStructuredLineForAFailure()
    {
        var url = moto.Origin.Serve("log/broken.png", OriginResponse.Status(500)); // origin 5xx: our 502, a warning
        var log = new CollectingLoggerProvider();
        await using var server = moto.StartServer(RequestLogOn, services => services.AddSingleton<ILoggerProvider>(log));

        using var answer = await server.Client.PostAsJsonAsync("/process-image",
            new ProcessImageRequest(url.ToString(), RequestId: "log-500"), HybridIngestJsonContext.Default.ProcessImageRequest);

        var line = Assert.Single(log.Lines, l => l.EventId == 1);
        Assert.Equal("log-500", line.State["RequestId"]);
        Assert.Equal(ErrorCodes.DownloadFailed, line.State["Outcome"]);
        Assert.Equal(502, line.State["Status"]);
        Assert.Equal(LogLevel.Warning, line.Level);
    }

    [Fact]
    public async Task KeepsAPresignedUrlsSignatureOutOfTheLogAndTheAnswer()
    {
        var url = new UriBuilder(moto.Origin.Serve("log/gone.png", OriginResponse.Status(404)))
        {
            Query = "X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=5ec12e7deadbeef",
        }.Uri;
        var log = new CollectingLoggerProvider();
        await using var server = moto.StartServer(RequestLogOn, services => services.AddSingleton<ILoggerProvider>(log));

        using var answer = await server.Client.PostAsJsonAsync("/process-image",
            new ProcessImageRequest(url.ToString(), RequestId: "log-presigned"), HybridIngestJsonContext.Default.ProcessImageRequest);

        var line = Assert.Single(log.Lines, l => l.EventId == 1);
        Assert.Equal(ErrorCodes.DownloadFailed, line.State["Outcome"]);
        Assert.Contains("/log/gone.png?(query hidden)", (string?)line.State["Detail"], StringComparison.Ordinal); // where it failed, still said
        var logged = string.Join('\n', log.Lines.SelectMany(l => l.State.Values).Select(v => v?.ToString()));
        Assert.DoesNotContain("5ec12e7deadbeef", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAEXAMPLE", logged, StringComparison.Ordinal);
        Assert.DoesNotContain("5ec12e7deadbeef", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
