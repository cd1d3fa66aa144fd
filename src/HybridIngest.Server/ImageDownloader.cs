using System.Diagnostics;
using System.Net;
using HybridIngest.Contracts;
using HybridIngest.Server.Security;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// Opens the origin's response for an image URL. Redirects are followed here, not by the handler,
/// so that every hop is validated like the first URL, an https → http downgrade is refused, and the
/// hop count is bounded; each connection goes through <see cref="DestinationConnector"/>.
/// </summary>
public sealed class ImageDownloader(HttpClient http, DestinationPolicy policy, IOptions<IngestOptions> options)
{
    /// <summary>
    /// The first non-redirect answer, headers read and body not yet. Throws <see cref="IngestException"/>
    /// for a refused hop, an error status, too many redirects or a transport failure; a cancelled
    /// <paramref name="cancellationToken"/> surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<HttpResponseMessage> OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        var maxRedirects = options.Value.MaxRedirects;
        for (var redirects = 0; ; redirects++)
        {
            var response = await SendAsync(url, cancellationToken);
            if (!IsRedirect(response.StatusCode))
            {
                if (response.IsSuccessStatusCode)
                {
                    return response;
                }
                response.Dispose();
                throw new IngestException(ErrorCodes.DownloadFailed,
                    $"the origin answered {(int)response.StatusCode} {response.ReasonPhrase} for {LoggedUrls.WithoutSecrets(url)}",
                    CallerIsAtFault(response.StatusCode) ? StatusCodes.Status400BadRequest : null);
            }

            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new IngestException(ErrorCodes.DownloadFailed, $"the origin answered a redirect without a Location for {LoggedUrls.WithoutSecrets(url)}");
            }
            if (redirects == maxRedirects)
            {
                throw new IngestException(ErrorCodes.DownloadFailed, $"more than {maxRedirects} redirects, the last to {location}");
            }
            var next = location.IsAbsoluteUri ? location : new Uri(url, location);
            var verdict = policy.ValidateUrl(next.AbsoluteUri);
            if (verdict.Url is null)
            {
                throw new IngestException(ErrorCodes.BlockedDestination, $"the redirect to {next} was refused: {verdict.Error}");
            }
            if (url.Scheme == Uri.UriSchemeHttps && verdict.Url.Scheme == Uri.UriSchemeHttp)
            {
                throw new IngestException(ErrorCodes.BlockedDestination, $"the redirect from https to http ({next}) was refused");
            }
            url = verdict.Url;
        }
    }

    async Task<HttpResponseMessage> SendAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (Activity.Current is { } span && span.Source == ServerTelemetry.Source)
        {
            request.Options.Set(ServerTelemetry.DownloadSpan, span); // for the connect callback's "connected" event
        }
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (FindInner<BlockedDestinationException>(e) is { } blocked)
        {
            throw new IngestException(ErrorCodes.BlockedDestination, $"{url.Host} was refused: {blocked.Message}");
        }
        catch (HttpRequestException e)
        {
            // The causes are in the detail already: no inner exception, which the log line would add again.
            throw new IngestException(ErrorCodes.DownloadFailed, $"could not fetch {LoggedUrls.WithoutSecrets(url)}: {Causes(e)}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not our token: the handler's ConnectTimeout fired.
            throw new IngestException(ErrorCodes.OriginTimeout,
                $"could not connect to {url.Host} within {options.Value.ConnectTimeoutSeconds} s");
        }
    }

    /// <summary>
    /// An origin's 4xx says the caller's URL is wrong (gone, forbidden), as the seed lab answers it:
    /// 400, not 502, so that 5xx stays a signal that our side or the origin's failed. 408 and 429
    /// are the origin's trouble (slow, busy) and may pass on a retry, so they stay 502.
    /// </summary>
    static bool CallerIsAtFault(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// The exception's message followed by those of its inner exceptions, each once ("A: B"). After
    /// the connection is made, HttpClient says only "An error occurred while sending the request.";
    /// what happened (the origin hung up, reset the connection) is in the inner exceptions.
    /// </summary>
    static string Causes(Exception e)
    {
        var messages = new List<string>();
        foreach (var message in Chain(e).Select(cause => cause.Message.TrimEnd('.')))
        {
            if (!messages.Any(known => known.Contains(message, StringComparison.Ordinal)))
            {
                messages.Add(message);
            }
        }
        return string.Join(": ", messages);
    }

    static T? FindInner<T>(Exception e) where T : Exception => Chain(e).OfType<T>().FirstOrDefault();

    /// <summary>The exception and its inner exceptions, outermost first.</summary>
    static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
