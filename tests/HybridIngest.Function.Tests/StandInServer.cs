using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridIngest.Function.Tests;

/// <summary>A real Kestrel server on a free loopback port that answers POST /process-image as told.</summary>
sealed class StandInServer : IAsyncDisposable
{
    readonly WebApplication _app;

    StandInServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>Bodies and X-Request-Id headers of the requests received, in order.</summary>
    public ConcurrentQueue<(string Body, string? RequestId)> Received { get; } = new();

    public static async Task<StandInServer> StartAsync(RequestDelegate processImage)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        StandInServer? server = null;
        app.MapPost("/process-image", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            server!.Received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers["X-Request-Id"].FirstOrDefault()));
            await processImage(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new StandInServer(app, new Uri(address));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
