using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridIngest.Function.Tests;

/// <summary>A real Kestrel server on a free loopback port that answers every request as told and records it.</summary>
sealed class StandInServer : IAsyncDisposable
{
    readonly WebApplication _app;

    StandInServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The requests received, in order.</summary>
    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public static async Task<StandInServer> StartAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        StandInServer? server = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            server!.Received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path, await reader.ReadToEndAsync(),
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                context.Request.ContentType));
            await answer(context);
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

sealed record ReceivedRequest(string Method, string Path, string Body, IReadOnlyDictionary<string, string> Headers, string? ContentType)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}
