using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Offline;

/// <summary>
/// How <see cref="ImageOrigin"/> answers one path: a status and a body, optionally chunked (no
/// Content-Length), with a false Content-Length, trickled in slow chunks, or held until a test lets
/// it go.
/// </summary>
public sealed record OriginResponse(byte[] Body)
{
    public int StatusCode { get; init; } = 200;
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>False: no Content-Length, the body goes out chunked.</summary>
    public bool SendContentLength { get; init; } = true;

    /// <summary>A Content-Length to announce instead of the body's length (a lying origin).</summary>
    public long? DeclaredLength { get; init; }

    public int ChunkSize { get; init; } = 64 * 1024;

    /// <summary>
    /// Pause between chunks: a slow trickle, or with a long pause an origin that stalls after its
    /// first chunk.
    /// </summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>
    /// Runs when a request arrives, before anything is sent; the answer waits for it. A silent origin
    /// is <c>ct => Task.Delay(Timeout.Infinite, ct)</c>. The token is cancelled when the client goes
    /// away or the origin stops.
    /// </summary>
    public Func<CancellationToken, Task>? BeforeResponse { get; init; }

    public static OriginResponse Image(SampleImage image) => new(image.Bytes) { ContentType = image.ContentType };

    public static OriginResponse Status(int statusCode, string body = "") =>
        new(System.Text.Encoding.UTF8.GetBytes(body)) { StatusCode = statusCode, ContentType = "text/plain" };

    public static OriginResponse Redirect(string location, int statusCode = 302) =>
        new([]) { StatusCode = statusCode, Headers = new Dictionary<string, string> { ["Location"] = location } };
}

/// <summary>
/// A local HTTP origin (Kestrel on 127.0.0.1, a port the OS picks) serving named payloads, for tests,
/// benchmarks and the offline demo. Unknown paths answer 404.
/// </summary>
public sealed class ImageOrigin : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentDictionary<string, OriginResponse> _responses = new();
    readonly CancellationTokenSource _stopping = new();

    ImageOrigin(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUrl { get; }

    public static async Task<ImageOrigin> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxResponseBufferSize = 64 * 1024);
        var app = builder.Build();
        ImageOrigin? origin = null;
        app.Run(context => origin!.AnswerAsync(context));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        origin = new ImageOrigin(app, new Uri(address.TrimEnd('/') + "/"));
        return origin;
    }

    /// <summary>Serves <paramref name="response"/> at <paramref name="path"/> and returns its URL.</summary>
    public Uri Serve(string path, OriginResponse response)
    {
        path = "/" + path.TrimStart('/');
        _responses[path] = response;
        return new Uri(BaseUrl, path);
    }

    public Uri Serve(string path, SampleImage image) => Serve(path, OriginResponse.Image(image));

    async Task AnswerAsync(HttpContext context)
    {
        if (!_responses.TryGetValue(context.Request.Path.Value ?? "/", out var answer))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var cancellationToken = abort.Token;
        try
        {
            if (answer.BeforeResponse is { } hold)
            {
                await hold(cancellationToken);
            }
            var response = context.Response;
            response.StatusCode = answer.StatusCode;
            response.ContentType = answer.ContentType;
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers[name] = value;
            }
            var length = answer.Body.LongLength;
            if (answer.SendContentLength)
            {
                length = Math.Min(length, answer.DeclaredLength ?? length);
                response.ContentLength = answer.DeclaredLength ?? length;
            }
            for (var offset = 0L; offset < length; offset += answer.ChunkSize)
            {
                if (offset > 0 && answer.ChunkDelay > TimeSpan.Zero)
                {
                    await Task.Delay(answer.ChunkDelay, cancellationToken);
                }
                var chunk = answer.Body.AsMemory((int)offset, (int)Math.Min(answer.ChunkSize, length - offset));
                await response.Body.WriteAsync(chunk, cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Abort(); // the client left or the origin stops: nothing more to say
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
