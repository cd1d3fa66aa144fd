using System.Net;
using HybridIngest.Cli.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// The local load balancer (YARP, in this process) in front of stand-in servers on real loopback
/// ports: what it sends where, its /ready probe, its retry of requests no server took, and its
/// control endpoint.
/// </summary>
public sealed class LocalBalancerTests
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public void ProbesReadyAndTakesAServerOutAfterOneFailedProbeWithLeastRequests()
    {
        var cluster = LocalBalancer.Cluster(["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:1"]);

        Assert.Equal(LoadBalancingPolicies.LeastRequests, cluster.LoadBalancingPolicy);
        Assert.Equal(["http://127.0.0.1:1", "http://127.0.0.1:2"], cluster.Destinations!.Values.Select(d => d.Address));
        var active = cluster.HealthCheck!.Active!;
        Assert.True(active.Enabled);
        Assert.Equal("/ready", active.Path);
        Assert.Equal(LocalBalancer.HealthCheckInterval, active.Interval);
        Assert.Equal(HealthCheckConstants.ActivePolicy.ConsecutiveFailures, active.Policy);
        Assert.Equal("1", cluster.Metadata![ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName]);
        Assert.Equal(HealthCheckConstants.AvailableDestinations.HealthyOrPanic, cluster.HealthCheck.AvailableDestinationsPolicy);
    }

    [Fact]
    public async Task AServerWhoseReadyFailsGetsNoRequestsOnceProbed()
    {
        await using var failing = await StandIn.StartAsync("failing");
        await using var healthy = await StandIn.StartAsync("healthy");
        failing.ReadyStatus = StatusCodes.Status503ServiceUnavailable;
        await using var balancer = await LocalBalancer.StartAsync([failing.Url, healthy.Url], _ => { }, CancellationToken.None);

        await WaitForHealthAsync(balancer, failing.Url, "unhealthy");
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostAsync(balancer)));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, "healthy"), a));
        Assert.Equal(0, failing.Requests);
    }

    [Fact]
    public async Task ARequestRefusedWith503GoesToAnotherServerAndTheLastServersAnswerReachesTheCaller()
    {
        await using var refusing = await StandIn.StartAsync("refusing");
        await using var busy = await StandIn.StartAsync("busy");
        refusing.ProcessStatus = StatusCodes.Status503ServiceUnavailable;
        await using var balancer = await LocalBalancer.StartAsync([busy.Url], _ => { }, CancellationToken.None);
        // One request held on "busy": least requests sends the next one to "refusing" first.
        busy.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = PostAsync(balancer);
        await busy.ArrivedCount(1);
        await LocalBalancer.SetTargetsAsync(Http, balancer.Endpoint, [refusing.Url, busy.Url], CancellationToken.None);

        var second = PostAsync(balancer);
        await busy.ArrivedCount(2);
        busy.Hold.SetResult();

        Assert.Equal((HttpStatusCode.OK, "busy"), await held);
        Assert.Equal((HttpStatusCode.OK, "busy"), await second);
        Assert.Equal(1, refusing.Requests);

        // With no other server left, the caller gets the 503 with its body.
        await LocalBalancer.SetTargetsAsync(Http, balancer.Endpoint, [refusing.Url], CancellationToken.None);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "refusing"), await PostAsync(balancer));
    }

    [Fact]
    public async Task ARequestToAServerThatIsGoneGoesToAnotherServer()
    {
        await using var healthy = await StandIn.StartAsync("healthy");
        var gone = await StandIn.StartAsync("gone");
        await using var balancer = await LocalBalancer.StartAsync([healthy.Url], _ => { }, CancellationToken.None);
        // One request held on "healthy": least requests sends the next one to "gone", which the balancer still counts healthy.
        healthy.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = PostAsync(balancer);
        await healthy.ArrivedCount(1);
        await LocalBalancer.SetTargetsAsync(Http, balancer.Endpoint, [gone.Url, healthy.Url], CancellationToken.None);
        await WaitForHealthAsync(balancer, gone.Url, "healthy");
        await gone.DisposeAsync();

        var second = PostAsync(balancer);
        await healthy.ArrivedCount(2);
        healthy.Hold.SetResult();

        Assert.Equal((HttpStatusCode.OK, "healthy"), await held);
        Assert.Equal((HttpStatusCode.OK, "healthy"), await second);
    }

    [Fact]
    public async Task PutReplacesTheServersAndRefusesAnythingButServerUrls()
    {
        await using var first = await StandIn.StartAsync("first");
        await using var second = await StandIn.StartAsync("second");
        await using var balancer = await LocalBalancer.StartAsync([first.Url], _ => { }, CancellationToken.None);

        await LocalBalancer.SetTargetsAsync(Http, balancer.Endpoint, [second.Url], CancellationToken.None);

        Assert.Equal([second.Url], (await LocalBalancer.GetTargetsAsync(Http, balancer.Endpoint, CancellationToken.None)).Select(t => t.Address));
        Assert.All(await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => PostAsync(balancer))), a => Assert.Equal((HttpStatusCode.OK, "second"), a));
        Assert.Equal(0, first.Requests);
        foreach (var body in new[] { "[]", "not json", """["ftp://127.0.0.1:1"]""", """["http://127.0.0.1:1/path"]""" })
        {
            using var response = await Http.PutAsync(balancer.Endpoint + LocalBalancer.TargetsPath, new StringContent(body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        Assert.Equal([second.Url], (await LocalBalancer.GetTargetsAsync(Http, balancer.Endpoint, CancellationToken.None)).Select(t => t.Address));
    }

    static async Task<(HttpStatusCode, string)> PostAsync(LocalBalancer balancer)
    {
        using var response = await Http.PostAsync(balancer.Endpoint + "/process-image", new StringContent("""{"image_url": "http://x.test/a.png"}"""));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Polls the control endpoint until the balancer's probe has found <paramref name="health"/> (bounded).</summary>
    static async Task WaitForHealthAsync(LocalBalancer balancer, string target, string health)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await LocalBalancer.GetTargetsAsync(Http, balancer.Endpoint, timeout.Token)).Single(t => t.Address == target).Health != health)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>A server stand-in: /ready and /process-image answer what the test sets; the body of /process-image is its name.</summary>
    sealed class StandIn : IAsyncDisposable
    {
        readonly WebApplication _app;
        int _requests;

        StandIn(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";
        public int ReadyStatus { get; set; } = StatusCodes.Status200OK;
        public int ProcessStatus { get; set; } = StatusCodes.Status200OK;
        public TaskCompletionSource? Hold { get; set; }
        public int Requests
        {
            get
            {
                lock (_waiters)
                {
                    return _requests;
                }
            }
        }
        readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

        /// <summary>Completes once <paramref name="count"/> requests have arrived (fails after 30 s).</summary>
        public Task ArrivedCount(int count)
        {
            lock (_waiters)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_requests >= count)
                {
                    reached.SetResult();
                }
                else
                {
                    _waiters.Add((count, reached));
                }
                return reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        public static async Task<StandIn> StartAsync(string name)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var standIn = new StandIn(app);
            app.MapGet("/ready", () => Results.StatusCode(standIn.ReadyStatus));
            app.MapPost("/process-image", async () =>
            {
                int count;
                lock (standIn._waiters)
                {
                    count = ++standIn._requests;
                    standIn._waiters.Where(w => w.Count <= count).ToList().ForEach(w => w.Reached.SetResult());
                    standIn._waiters.RemoveAll(w => w.Count <= count);
                }
                if (standIn.Hold is { } hold && count == 1)
                {
                    await hold.Task;
                }
                return Results.Text(name, statusCode: standIn.ProcessStatus);
            });
            await app.StartAsync();
            standIn.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return standIn;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
