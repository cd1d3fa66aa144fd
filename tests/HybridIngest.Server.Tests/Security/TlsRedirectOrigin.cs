using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests.Security;

/// <summary>
/// An HTTPS origin on 127.0.0.1 (a fresh self-signed certificate) that redirects every request to
/// one location: the first hop of the https → http downgrade case. <see cref="TrustIn"/> makes the
/// server's downloader trust exactly this certificate, so the TLS hop succeeds and the redirect
/// itself is what gets judged.
/// </summary>
sealed class TlsRedirectOrigin : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly X509Certificate2 _certificate;

    TlsRedirectOrigin(WebApplication app, X509Certificate2 certificate, Uri url)
    {
        _app = app;
        _certificate = certificate;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<TlsRedirectOrigin> StartAsync(string location)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.Redirect(location);
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TlsRedirectOrigin(app, certificate, new Uri(address.TrimEnd('/') + "/start"));
    }

    /// <summary>Makes the server's image downloader accept this origin's certificate (and no other self-signed one).</summary>
    public void TrustIn(IServiceCollection services)
    {
        var thumbprint = _certificate.GetCertHashString(HashAlgorithmName.SHA256);
        services.Configure<HttpClientFactoryOptions>(nameof(ImageDownloader), options =>
            options.HttpMessageHandlerBuilderActions.Add(handler =>
                ((SocketsHttpHandler)handler.PrimaryHandler).SslOptions.RemoteCertificateValidationCallback =
                    (_, certificate, _, errors) => errors == System.Net.Security.SslPolicyErrors.None
                        || certificate?.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }
}
