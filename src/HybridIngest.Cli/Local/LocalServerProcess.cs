using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The stack's server: <c>server.zip</c> unpacked and started detached with the environment the
/// instance's systemd unit gets (Terraform's <c>server_environment</c>), pointed at this machine;
/// ready when <c>/ready</c> (which checks the bucket) answers 200.
/// </summary>
static class LocalServerProcess
{
    public const string Name = "server";

    /// <summary>
    /// The server downloads only from public addresses unless told otherwise; locally the images
    /// come from an origin on this machine.
    /// </summary>
    public const string AllowedPrivateCidrs = "127.0.0.0/8";

    public static async Task<LocalProcess> StartAsync(
        LocalState state, LocalArtifacts artifacts, StackOutputs outputs, string motoEndpoint, CancellationToken cancellationToken)
    {
        var directory = artifacts.Extract(artifacts.ServerZip, "server", Packager.ServerExecutableName);
        var port = FreePort.Next();
        // The instance's environment (from Terraform), pointed at this machine.
        var environment = outputs.ServerEnvironment.ToDictionary(e => e.Key, e => (string?)e.Value);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        environment["AWS_ENDPOINT_URL_S3"] = motoEndpoint;
        environment["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey;
        environment["AWS_SESSION_TOKEN"] = null;
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment[ServerSettingNames.AllowedPrivateCidrs] = AllowedPrivateCidrs;

        var server = DetachedProcess.Start(Path.Combine(directory, Packager.ServerExecutableName), [], state.LogFile(Name), environment, directory);
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
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The server did not become ready within {StackProcess.ReadyTimeout.TotalSeconds:0} s (last answer of {ready}: {last}); see {server.LogFile}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
    }
}
