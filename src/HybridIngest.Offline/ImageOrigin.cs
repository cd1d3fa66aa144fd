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
/// A local HTTP origin (Kestrel on 127.0.0.1, a port the OS picks) serving images by path: the
/// offline demo's stand-in for the internet. Unknown paths answer 404. Tests and benchmarks add
/// answers of their own (slow, lying, held: <c>OriginResponse</c> in tests/HybridIngest.Testing).
/// </summary>
public sealed class ImageOrigin : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentDictionary<string, Func<HttpContext, CancellationToken, Task>> _answers = new();
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

    /// <summary>
    /// Answers requests for <paramref name="path"/> with <paramref name="answer"/> and returns its URL.
    /// The answer's token is cancelled when the client goes away or the origin stops; the connection
    /// is then aborted.
    /// </summary>
    public Uri Serve(string path, Func<HttpContext, CancellationToken, Task> answer)
    {
        path = "/" + path.TrimStart('/');
        _answers[path] = answer;
        return new Uri(BaseUrl, path);
    }

    /// <summary>Serves <paramref name="image"/> (200, its Content-Type and Content-Length) at <paramref name="path"/>.</summary>
    public Uri Serve(string path, SampleImage image) => Serve(path, async (context, cancellationToken) =>
    {
        context.Response.ContentType = image.ContentType;
        context.Response.ContentLength = image.Bytes.Length;
        await context.Response.Body.WriteAsync(image.Bytes, cancellationToken);
    });

    async Task AnswerAsync(HttpContext context)
    {
        if (!_answers.TryGetValue(context.Request.Path.Value ?? "/", out var answer))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await answer(context, abort.Token);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
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
