using System.Collections.Concurrent;
using System.Net.Http.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
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
        var url = moto.Origin.Serve("log/missing.png", OriginResponse.Status(404));
        var log = new CollectingLoggerProvider();
        await using var server = moto.StartServer(RequestLogOn, services => services.AddSingleton<ILoggerProvider>(log));

        using var answer = await server.Client.PostAsJsonAsync("/process-image",
            new ProcessImageRequest(url.ToString(), RequestId: "log-404"), HybridIngestJsonContext.Default.ProcessImageRequest);

        var line = Assert.Single(log.Lines, l => l.EventId == 1);
        Assert.Equal("log-404", line.State["RequestId"]);
        Assert.Equal(ErrorCodes.DownloadFailed, line.State["Outcome"]);
        Assert.Equal(502, line.State["Status"]);
        Assert.Equal(LogLevel.Warning, line.Level);
    }

    sealed record LogLine(string Category, LogLevel Level, int EventId, IReadOnlyDictionary<string, object?> State);

    sealed class CollectingLoggerProvider : ILoggerProvider
    {
        readonly ConcurrentQueue<LogLine> _lines = new();

        public IReadOnlyList<LogLine> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, _lines);

        public void Dispose() { }

        sealed class Collector(string category, ConcurrentQueue<LogLine> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter)
            {
                if (category.StartsWith("HybridIngest.Server", StringComparison.Ordinal) && state is IReadOnlyList<KeyValuePair<string, object?>> fields)
                {
                    lines.Enqueue(new LogLine(category, logLevel, eventId.Id, fields.ToDictionary(f => f.Key, f => f.Value)));
                }
            }
        }
    }
}
