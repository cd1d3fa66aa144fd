using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace HybridIngest.LocalLambda;

/// <summary>
/// A local stand-in for the Lambda service, for one function: Kestrel on a loopback port serving
/// the Invoke API to clients (the AWS CLI, SDKs) and the Runtime API to the bootstrap processes
/// it starts. Disposing it shuts down every process it started.
/// </summary>
public sealed class LocalLambdaHost : IAsyncDisposable
{
    /// <summary>The only version the host serves.</summary>
    public const string Version = "$LATEST";

    readonly WebApplication _app;
    readonly EnvironmentPool _pool;

    LocalLambdaHost(WebApplication app, EnvironmentPool pool, Uri endpoint, LocalLambdaOptions options)
    {
        _app = app;
        _pool = pool;
        Endpoint = endpoint;
        Options = options;
    }

    /// <summary>The Invoke API's base address, e.g. http://127.0.0.1:PORT/ (for --endpoint-url).</summary>
    public Uri Endpoint { get; }

    public LocalLambdaOptions Options { get; }

    /// <summary>The process ids of the execution environments alive now.</summary>
    public IReadOnlyList<int> EnvironmentProcessIds => _pool.ProcessIds;

    public static async Task<LocalLambdaHost> StartAsync(LocalLambdaOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            // The endpoints enforce Lambda's 6 MB limits themselves, with Lambda's answers.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var pool = new EnvironmentPool(options);
        app.MapInvokeApi(pool, options);
        app.MapFunctionApi(options);
        app.MapRuntimeApi(pool, options);
        await app.StartAsync(cancellationToken);

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        pool.Start($"127.0.0.1:{address.Port}");
        return new LocalLambdaHost(app, pool, new Uri($"http://127.0.0.1:{address.Port}/"), options);
    }

    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
