using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests.Security;

/// <summary>
/// The hostile-input matrix, origins: bodies that lie about their length, are too big, arrive too
/// slowly or never, are compressed, or are not images whatever their Content-Type says. The local
/// origin is allowed (the fixture's default allowlist, 127.0.0.1/32), so each answer gets through
/// the destination policy and is judged on its content.
/// </summary>
public sealed class HostileOriginTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    const int SmallLimit = 4096;

    async Task AssertRefusedAsync(string what, OriginResponse origin, string code,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var url = moto.Origin.Serve($"hostile/{Guid.NewGuid():N}", origin);
        await using var server = moto.StartServer(settings);
        using var answer = await Refusal.PostUrlAsync(server, url.ToString());
        await Refusal.AssertAsync(moto, answer, code, what);
    }

    static readonly Dictionary<string, string> OneSecondDownload = new() { ["INGEST_DOWNLOAD_TIMEOUT_SECONDS"] = "1" };

    static readonly Dictionary<string, string> SmallImageLimit = new() { ["INGEST_MAX_IMAGE_BYTES"] = $"{SmallLimit}" };

    [Fact]
    public async Task ContentLengthLongerThanBodyFailsCleanly()
    {
        var png = SampleImages.Png.Bytes;

        await AssertRefusedAsync("Content-Length 1000 bytes longer than the body",
            OriginResponse.Image(SampleImages.Png) with { DeclaredLength = png.Length + 1000 }, ErrorCodes.DownloadFailed);
    }

    [Fact]
    public async Task ContentLengthShorterThanImageHeaderIsNotAnImage()
    {
        // HTTP framing ends the body at the declared length: what follows is never read as image.
        await AssertRefusedAsync("Content-Length 6 on a whole PNG",
            OriginResponse.Image(SampleImages.Png) with { DeclaredLength = 6 }, ErrorCodes.NotAnImage);
    }

    [Fact]
    public async Task RefusesOverLimitByContentLength()
    {
        await AssertRefusedAsync("Content-Length over INGEST_MAX_IMAGE_BYTES",
            OriginResponse.Image(SampleImages.NoisePng(SmallLimit * 4)), ErrorCodes.TooLarge, SmallImageLimit);
    }

    [Fact]
    public async Task RefusesOverLimitByBytesReadWithoutContentLength()
    {
        await AssertRefusedAsync("chunked body over INGEST_MAX_IMAGE_BYTES",
            OriginResponse.Image(SampleImages.NoisePng(SmallLimit * 4)) with { SendContentLength = false },
            ErrorCodes.TooLarge, SmallImageLimit);
    }

    [Fact]
    public async Task TricklingOriginHitsTheDownloadTimeout()
    {
        await AssertRefusedAsync("8 bytes every 250 ms",
            OriginResponse.Image(SampleImages.NoisePng(2048)) with { ChunkSize = 8, ChunkDelay = TimeSpan.FromMilliseconds(250) },
            ErrorCodes.OriginTimeout, OneSecondDownload);
    }

    [Fact]
    public async Task TricklingChunkedOriginHitsTheDownloadTimeout()
    {
        await AssertRefusedAsync("chunked, 8 bytes every 250 ms",
            OriginResponse.Image(SampleImages.NoisePng(2048)) with
            {
                SendContentLength = false,
                ChunkSize = 8,
                ChunkDelay = TimeSpan.FromMilliseconds(250),
            },
            ErrorCodes.OriginTimeout, OneSecondDownload);
    }

    [Fact]
    public async Task SilentOriginHitsTheDownloadTimeout()
    {
        await AssertRefusedAsync("no answer at all",
            OriginResponse.Image(SampleImages.Png) with { BeforeResponse = ct => Task.Delay(Timeout.Infinite, ct) },
            ErrorCodes.OriginTimeout, OneSecondDownload);
    }

    [Fact]
    public async Task OriginThatNeverAcceptsHitsTheConnectTimeout()
    {
        // A listener with a backlog of 0 whose one queue slot is taken: the kernel drops further
        // SYNs, so the server's connect hangs until its connect timeout.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var queued = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await queued.ConnectAsync(IPAddress.Loopback, port);
        await using var server = moto.StartServer(new Dictionary<string, string> { ["INGEST_CONNECT_TIMEOUT_SECONDS"] = "1" });

        using var answer = await Refusal.PostUrlAsync(server, $"http://127.0.0.1:{port}/image.png");

        var problem = await Refusal.AssertAsync(moto, answer, ErrorCodes.OriginTimeout, "connect never completes");
        Assert.Contains("could not connect", problem.Detail);
    }

    [Fact]
    public async Task OriginHangingUpBeforeAnsweringIsReportedWithTheCause()
    {
        // An origin that reads each request and closes the connection without a word (HttpClient
        // retries such a request once, on a new connection). HttpClient's own message says only that
        // sending failed; the detail (and so the log line) must say why.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource();
        var hangUps = HangUpAfterEachRequestAsync(listener, stop.Token);
        await using var server = moto.StartServer();

        using var answer = await Refusal.PostUrlAsync(server, $"http://127.0.0.1:{port}/image.png");

        var problem = await Refusal.AssertAsync(moto, answer, ErrorCodes.DownloadFailed, "origin hangs up");
        Assert.Contains("An error occurred while sending the request: The response ended prematurely", problem.Detail);
        await stop.CancelAsync();
        Assert.True(await hangUps > 0);
    }

    /// <summary>The number of requests read and hung up on until <paramref name="stop"/>.</summary>
    static async Task<int> HangUpAfterEachRequestAsync(Socket listener, CancellationToken stop)
    {
        var buffer = new byte[4096];
        for (var requests = 0; ; requests++)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return requests;
            }
            using (connection)
            {
                var request = new StringBuilder();
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await connection.ReceiveAsync(buffer);
                    Assert.True(read > 0, $"the server closed the connection before the end of its request: {request}");
                    request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
        }
    }

    [Fact]
    public async Task GzipEncodedImageIsNotDecompressed()
    {
        // The server asks for no encoding and decompresses nothing: an origin that compresses anyway
        // sends gzip bytes, which are no image (and no decompression bomb can unfold here).
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(SampleImages.Png.Bytes);
        }

        await AssertRefusedAsync("gzip-encoded PNG", new OriginResponse(gzipped.ToArray())
        {
            ContentType = "image/png",
            Headers = new Dictionary<string, string> { ["Content-Encoding"] = "gzip" },
        }, ErrorCodes.NotAnImage);
    }

    [Theory]
    [InlineData("HTML as image/png", "image/png", "<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>")]
    [InlineData("HTML as text/html", "text/html", "<html><head><title>Not found</title></head></html>")]
    [InlineData("plain text as image/jpeg", "image/jpeg", "this is not a jpeg, honest")]
    [InlineData("SVG with a script", "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")]
    [InlineData("SVG with an XML declaration", "image/svg+xml", "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("JSON as image/gif", "image/gif", "{\"error\": \"forbidden\"}")]
    [InlineData("PDF as image/webp", "image/webp", "%PDF-1.7\n%\u00e2\u00e3\n1 0 obj")]
    [InlineData("RIFF that is WAVE, not WebP", "image/webp", "RIFF\u0024\u0000\u0000\u0000WAVEfmt ")]
    [InlineData("GIF signature cut short", "image/gif", "GIF8")]
    [InlineData("BMP (not accepted)", "image/bmp", "BM\u0036\u0000\u0000\u0000\u0000\u0000\u0000\u0000")]
    public async Task RefusesBodyThatIsNotAnImage(string kind, string contentType, string body)
    {
        await AssertRefusedAsync(kind, new OriginResponse(Encoding.Latin1.GetBytes(body)) { ContentType = contentType },
            ErrorCodes.NotAnImage);
    }

    [Theory]
    [InlineData("PNG signature cut after 5 bytes", 5)]
    [InlineData("JPEG marker cut after 2 bytes", 2)]
    public async Task RefusesTruncatedImageHeader(string kind, int length)
    {
        var source = length == 2 ? SampleImages.Jpeg : SampleImages.Png;

        await AssertRefusedAsync(kind, new OriginResponse(source.Bytes[..length]) { ContentType = source.ContentType },
            ErrorCodes.NotAnImage);
    }

    [Theory]
    [InlineData("with Content-Length 0", true)]
    [InlineData("chunked", false)]
    public async Task RefusesEmptyBody(string kind, bool sendContentLength)
    {
        await AssertRefusedAsync($"empty body {kind}",
            new OriginResponse([]) { ContentType = "image/png", SendContentLength = sendContentLength }, ErrorCodes.NotAnImage);
    }

    [Fact]
    public async Task RefusesOversizedResponseHeaders()
    {
        // HttpClient's default limit on response headers is 64 KiB.
        await AssertRefusedAsync("200 KiB of response headers", OriginResponse.Image(SampleImages.Png) with
        {
            Headers = new Dictionary<string, string> { ["X-Padding"] = new string('x', 200 * 1024) },
        }, ErrorCodes.DownloadFailed);
    }

    [Fact]
    public async Task ReportsOriginErrorStatusAsDownloadFailed()
    {
        await AssertRefusedAsync("origin 500 with a PNG body",
            OriginResponse.Image(SampleImages.Png) with { StatusCode = 500 }, ErrorCodes.DownloadFailed);
    }

    [Fact]
    public async Task ReportsClosedPortAsDownloadFailed()
    {
        await using var server = moto.StartServer();

        using var answer = await Refusal.PostUrlAsync(server, $"http://127.0.0.1:{FreePort.Next()}/image.png");

        await Refusal.AssertAsync(moto, answer, ErrorCodes.DownloadFailed, "nothing listening");
    }
}
