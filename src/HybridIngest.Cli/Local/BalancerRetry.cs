using System.Net;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The local balancer's retry (YARP has none of its own): a request goes to another server, one not
/// tried yet, when the one it went to never got it (the connection was refused: the server is gone
/// and the health check has not seen it yet) or refused it with 503 (the server's
/// <c>overloaded</c>, which it answers before doing any work: every slot busy, or draining after
/// SIGTERM). Both are safe to send again whatever the request; a request a server took and then
/// failed on (it died mid-request) is not retried: it may have done work. Bodies are small
/// (16 KiB at most), so each is buffered to be sent again.
/// </summary>
static class BalancerRetry
{
    static readonly object AttemptsKey = new();

    sealed class Attempts(IEnumerable<DestinationState> available)
    {
        public List<DestinationState> Untried { get; } = [.. available];
        public bool Refused { get; set; }
    }

    /// <summary>The first step of the proxy pipeline: runs the rest (load balancing, forwarding) again while a retry is due.</summary>
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        context.Request.EnableBuffering();
        var proxy = context.GetReverseProxyFeature();
        var attempts = new Attempts(proxy.AvailableDestinations);
        context.Items[AttemptsKey] = attempts;
        while (true)
        {
            await next();
            if (proxy.ProxiedDestination is { } tried)
            {
                attempts.Untried.Remove(tried);
            }
            if (context.Response.HasStarted || attempts.Untried.Count == 0 || !(attempts.Refused || NeverSent(context)))
            {
                return;
            }
            attempts.Refused = false;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
            context.Request.Body.Position = 0;
            proxy.ProxiedDestination = null;
            proxy.AvailableDestinations = [.. attempts.Untried];
        }
    }

    /// <summary>
    /// A 503 from a server is kept from the caller (its body is not copied) when another server can
    /// take the request; with none left the caller gets it as it is.
    /// </summary>
    public static void AddTransforms(TransformBuilderContext builder) => builder.AddResponseTransform(transform =>
    {
        if (transform.ProxyResponse?.StatusCode == HttpStatusCode.ServiceUnavailable
            && transform.HttpContext.Items[AttemptsKey] is Attempts { Untried.Count: > 1 } attempts)
        {
            attempts.Refused = true;
            transform.SuppressResponseBody = true;
        }
        return ValueTask.CompletedTask;
    });

    static bool NeverSent(HttpContext context) => context.Features.Get<IForwarderErrorFeature>() is
    {
        Error: ForwarderError.Request,
        Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError },
    };
}
