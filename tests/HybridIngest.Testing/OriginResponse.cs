using HybridIngest.Offline;
using Microsoft.AspNetCore.Http;

namespace HybridIngest.Testing;

/// <summary>
/// How an <see cref="ImageOrigin"/> answers one path in a test: a status and a body, optionally
/// chunked (no Content-Length), with a false Content-Length, trickled in slow chunks, or held until
/// a test lets it go.
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

    internal async Task WriteAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (BeforeResponse is { } hold)
        {
            await hold(cancellationToken);
        }
        var response = context.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }
        var length = Body.LongLength;
        if (SendContentLength)
        {
            length = Math.Min(length, DeclaredLength ?? length);
            response.ContentLength = DeclaredLength ?? length;
        }
        for (var offset = 0L; offset < length; offset += ChunkSize)
        {
            if (offset > 0 && ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(ChunkDelay, cancellationToken);
            }
            var chunk = Body.AsMemory((int)offset, (int)Math.Min(ChunkSize, length - offset));
            await response.Body.WriteAsync(chunk, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}

/// <summary><see cref="OriginResponse"/>s on the product's <see cref="ImageOrigin"/>.</summary>
public static class ImageOriginExtensions
{
    /// <summary>Makes <paramref name="origin"/> answer <paramref name="path"/> as <paramref name="response"/> says; returns its URL.</summary>
    public static Uri Serve(this ImageOrigin origin, string path, OriginResponse response) => origin.Serve(path, response.WriteAsync);
}
