using System.Net.Http.Json;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The local stand-in for the internal ALB of <c>local up --servers N</c>: YARP on a loopback port,
/// sending every request to one cluster of servers. Like the ALB's target group it probes each
/// server's <c>GET /ready</c> (<see cref="HealthCheckInterval"/>; one failed probe takes a server out,
/// one good one brings it back) and fails open when every server looks unhealthy. Its control
/// endpoint (<see cref="TargetsPath"/>) lists the servers with their health and replaces them, as
/// RegisterTargets/DeregisterTargets do: <c>local restart-servers</c> takes a server out there before
/// it stops it. A request that no server took (connect failure) or that a server refused with 503
/// (<c>overloaded</c>: no work done) is sent again to a server not yet tried (<see cref="BalancerRetry"/>).
/// </summary>
public sealed class LocalBalancer : IAsyncDisposable
{
    public const string TargetsPath = "/_balancer/targets";
    public const string HealthPath = "/ready";
    const string ClusterId = "servers";

    /// <summary>How often each server's /ready is probed: a server that stops answering gets no new request after at most this long.</summary>
    public static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>A probe slower than this fails; /ready asks S3 (moto) a HeadBucket, which a busy machine can slow.</summary>
    static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(5);

    static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(10);

    readonly WebApplication _app;

    LocalBalancer(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string Endpoint { get; }

    public static async Task<LocalBalancer> StartAsync(IReadOnlyList<string> targets, Action<string> log, CancellationToken cancellationToken)
    {
        foreach (var target in targets)
        {
            _ = TargetUri(target);
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddReverseProxy()
            .LoadFromMemory([Route()], [Cluster(targets)])
            .AddTransforms(BalancerRetry.AddTransforms);
        var app = builder.Build();
        app.MapGet(TargetsPath, (IProxyStateLookup proxy) => TypedResults.Json(Targets(proxy), HybridIngestJsonContext.Default.IReadOnlyListBalancerTarget));
        app.MapPut(TargetsPath, (HttpContext context, InMemoryConfigProvider config, IProxyStateLookup proxy) => ReplaceTargetsAsync(context, config, proxy, log));
        app.MapReverseProxy(pipeline =>
        {
            pipeline.Use(BalancerRetry.InvokeAsync);
            pipeline.UseLoadBalancing();
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        log($"Targets: {string.Join(", ", targets)}");
        return new LocalBalancer(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The servers behind the balancer at <paramref name="endpoint"/>, with their health.</summary>
    public static async Task<IReadOnlyList<BalancerTarget>> GetTargetsAsync(HttpClient http, string endpoint, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync(endpoint + TargetsPath, HybridIngestJsonContext.Default.IReadOnlyListBalancerTarget, cancellationToken) ?? [];

    /// <summary>Makes <paramref name="targets"/> the servers of the balancer at <paramref name="endpoint"/>; returns once it sends to exactly those.</summary>
    public static async Task SetTargetsAsync(HttpClient http, string endpoint, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.PutAsJsonAsync(endpoint + TargetsPath, targets, HybridIngestJsonContext.Default.IReadOnlyListString, cancellationToken);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The balancer at {endpoint} did not answer within {http.Timeout.TotalSeconds:0} s.", e);
        }
        using var _ = response;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"The balancer at {endpoint} did not take the servers {string.Join(", ", targets)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    static RouteConfig Route() => new() { RouteId = "all", ClusterId = ClusterId, Match = new RouteMatch { Path = "{**any}" } };

    /// <summary>The cluster: its servers, least requests, and the /ready probe. Internal for its unit test.</summary>
    internal static ClusterConfig Cluster(IReadOnlyList<string> targets) => new()
    {
        ClusterId = ClusterId,
        // Requests differ in length by orders of magnitude (a small image from a fast origin, 50 MiB
        // from a slow one), and a server admits only so many at once: the server with the fewest in
        // flight gets the next one, so slow work does not pile up on one (ALB: least outstanding requests).
        LoadBalancingPolicy = LoadBalancingPolicies.LeastRequests,
        Destinations = targets.Distinct(StringComparer.Ordinal).ToDictionary(t => t, t => new DestinationConfig { Address = t }, StringComparer.Ordinal),
        HealthCheck = new HealthCheckConfig
        {
            Active = new ActiveHealthCheckConfig
            {
                Enabled = true,
                Interval = HealthCheckInterval,
                Timeout = HealthCheckTimeout,
                Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                Path = HealthPath,
            },
            // When every server looks unhealthy, send to all of them rather than refuse everything (as the ALB does).
            AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
        },
        Metadata = new Dictionary<string, string> { [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = "1" },
        // Never cut a request the function may still wait for (its timeout is at most Lambda's 15 minutes; YARP's default is 100 s).
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(15) },
    };

    static IReadOnlyList<BalancerTarget> Targets(IProxyStateLookup proxy) =>
        proxy.TryGetCluster(ClusterId, out var cluster)
            ? [.. cluster.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal).Select(d => new BalancerTarget
            {
                Address = d.Model.Config.Address,
                Health = d.Health.Active switch
                {
                    DestinationHealth.Healthy => "healthy",
                    DestinationHealth.Unhealthy => "unhealthy",
                    _ => "unknown",
                },
            })]
            : [];

    /// <summary>Replaces the servers and answers once the proxy sends to exactly those (a request already sent to a removed one finishes there).</summary>
    static async Task<IResult> ReplaceTargetsAsync(HttpContext context, InMemoryConfigProvider config, IProxyStateLookup proxy, Action<string> log)
    {
        IReadOnlyList<string>? targets;
        try
        {
            targets = await JsonSerializer.DeserializeAsync(context.Request.Body, HybridIngestJsonContext.Default.IReadOnlyListString, context.RequestAborted);
            foreach (var target in targets ?? [])
            {
                _ = TargetUri(target);
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return TypedResults.BadRequest(e.Message);
        }
        if (targets is null or { Count: 0 })
        {
            return TypedResults.BadRequest("expected a JSON array of one or more server base URLs");
        }
        config.Update([Route()], [Cluster(targets)]);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(ApplyTimeout);
        try
        {
            while (!Targets(proxy).Select(t => t.Address).Order(StringComparer.Ordinal).SequenceEqual(targets.Distinct().Order(StringComparer.Ordinal)))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return TypedResults.Problem($"The proxy did not take the new servers within {ApplyTimeout.TotalSeconds:0} s.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        log($"Targets: {string.Join(", ", targets)}");
        return TypedResults.Json(Targets(proxy), HybridIngestJsonContext.Default.IReadOnlyListBalancerTarget);
    }

    static Uri TargetUri(string target) =>
        Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme == "http" && uri.AbsolutePath == "/"
            ? uri
            : throw new ArgumentException($"A target is an http base URL such as http://127.0.0.1:8080, not '{target}'.");
}
