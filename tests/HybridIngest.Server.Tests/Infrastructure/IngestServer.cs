using HybridIngest.Contracts;
using HybridIngest.Offline;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace HybridIngest.Server.Tests.Infrastructure;

/// <summary>
/// The real server (its Program) on Kestrel on a free loopback port, configured through the same
/// setting names as the environment. Its local origins are on 127.0.0.1, which the destination
/// policy refuses by default, so each instance allows 127.0.0.1/32 unless a test says otherwise.
/// </summary>
public sealed class IngestServer : IAsyncDisposable
{
    readonly WebApplicationFactory<Program> _factory;

    static IngestServer()
    {
        // The server gets its credentials from the SDK's default chain, whose first link is the
        // environment. Every test in this process uses moto's dummy pair, so setting it once for the
        // process is safe; the endpoint, which differs per moto, is passed per server instance.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", MotoServer.AccessKeyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", MotoServer.SecretAccessKey);
    }

    IngestServer(WebApplicationFactory<Program> factory)
    {
        _factory = factory;
        Client = factory.CreateClient();
    }

    public HttpClient Client { get; }

    /// <param name="services">Runs after the server's own registrations (e.g. to trust a test TLS origin).</param>
    public static IngestServer Start(Uri s3Endpoint, string bucket, IReadOnlyDictionary<string, string>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["S3_BUCKET"] = bucket,
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ENDPOINT_URL_S3"] = s3Endpoint.ToString(),
            [ServerSettingNames.AllowedPrivateCidrs] = "127.0.0.1/32",
            ["Logging:LogLevel:Default"] = "Warning", // keep the test output readable
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            all[name] = value;
        }
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Production");
            foreach (var (name, value) in all)
            {
                host.UseSetting(name, value);
            }
            if (services is not null)
            {
                host.ConfigureTestServices(services);
            }
        });
        factory.UseKestrel();
        factory.StartServer();
        return new IngestServer(factory);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }
}
