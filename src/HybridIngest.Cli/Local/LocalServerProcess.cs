using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// A server of the stack: <c>server.zip</c> unpacked once (<see cref="Prepare"/>, the launch template
/// that <c>restart-servers</c> starts replacements from) and started detached with the environment the
/// instance's systemd unit gets (Terraform's <c>server_environment</c>), pointed at this machine, on a
/// port of its own; ready when <c>/ready</c> (which checks the bucket) answers 200.
/// </summary>
static class LocalServerProcess
{
    public const string Name = "server";

    /// <summary>
    /// The server downloads only from public addresses unless told otherwise; locally the images
    /// come from an origin on this machine.
    /// </summary>
    public const string AllowedPrivateCidrs = "127.0.0.0/8";

    /// <summary>
    /// How long a server behind the local balancer drains after SIGTERM: long enough for a local
    /// image request, short enough that a rolling restart stays quick (the instance's unit: 20 s).
    /// A lone server (no balancer) stops at once: nothing would send its requests elsewhere.
    /// </summary>
    public const int BalancedDrainSeconds = 10;

    /// <summary>The longest a draining server takes to exit: its drain, then the server's own stop margin (15 s) for what it cut.</summary>
    public static readonly TimeSpan BalancedStopGrace = TimeSpan.FromSeconds(BalancedDrainSeconds + 15 + 5);

    const string LaunchFile = "server-launch.json";

    /// <summary>Unpacks the server and writes its launch template to <c>run/server-launch.json</c>.</summary>
    public static LocalServerLaunch Prepare(LocalState state, LocalArtifacts artifacts, StackOutputs outputs, string motoEndpoint,
        IReadOnlyDictionary<string, string> telemetry, bool balanced)
    {
        var directory = artifacts.Extract(artifacts.ServerZip, "server", Packager.ServerExecutableName);
        // The instance's environment (from Terraform), pointed at this machine.
        var environment = outputs.ServerEnvironment.ToDictionary(e => e.Key, e => (string?)e.Value);
        environment["AWS_ENDPOINT_URL_S3"] = motoEndpoint;
        environment["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey;
        environment["AWS_SESSION_TOKEN"] = null;
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment[ServerSettingNames.AllowedPrivateCidrs] = AllowedPrivateCidrs;
        foreach (var (name, value) in telemetry)
        {
            environment[name] = value;
        }
        if (balanced)
        {
            environment[ServerSettingNames.DrainSeconds] = BalancedDrainSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var launch = new LocalServerLaunch
        {
            Executable = Path.Combine(directory, Packager.ServerExecutableName),
            WorkingDirectory = directory,
            Environment = environment,
        };
        File.WriteAllText(Path.Combine(state.RunDirectory, LaunchFile), JsonSerializer.Serialize(launch, HybridIngestJsonContext.Default.LocalServerLaunch));
        return launch;
    }

    /// <summary>The launch template <c>up</c> wrote.</summary>
    public static LocalServerLaunch Launch(LocalState state)
    {
        var file = Path.Combine(state.RunDirectory, LaunchFile);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), HybridIngestJsonContext.Default.LocalServerLaunch) ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw new InvalidOperationException($"Cannot read how to start a server ({file}): {e.Message}. Run 'hybrid local down' and 'local up' again.", e);
        }
    }

    /// <summary>
    /// Starts a server on a free port. A lone server logs to <c>logs/server.log</c>; each server behind the
    /// balancer to <c>logs/server-PORT.log</c>.
    /// </summary>
    public static async Task<LocalProcess> StartAsync(LocalState state, LocalServerLaunch launch, bool balanced, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var environment = new Dictionary<string, string?>(launch.Environment) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };
        var server = DetachedProcess.Start(launch.Executable, [], state.LogFile(balanced ? $"{Name}-{port}" : Name), environment, launch.WorkingDirectory);
        return await StackProcess.ReadyAsync(Name, server, async () =>
        {
            await WaitForReadyEndpointAsync(server, new Uri($"http://127.0.0.1:{port}/ready"), cancellationToken);
            return port;
        });
    }

    /// <summary>Polls /ready until it answers 200.</summary>
    static async Task WaitForReadyEndpointAsync(DetachedProcess server, Uri ready, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StackProcess.ReadyTimeout);
        var last = "no answer";
        while (true)
        {
            if (!server.IsAlive)
            {
                throw new InvalidOperationException($"The server exited before it was ready; see {server.LogFile}.");
            }
            try
            {
                using var response = await http.GetAsync(ready, deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(deadline.Token)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
            {
                // One probe outlived the client's timeout (a busy machine): ask again.
                last = $"no answer within {http.Timeout.TotalSeconds:0} s";
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The server did not become ready within {StackProcess.ReadyTimeout.TotalSeconds:0} s (last answer of {ready}: {last}); see {server.LogFile}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
    }
}
