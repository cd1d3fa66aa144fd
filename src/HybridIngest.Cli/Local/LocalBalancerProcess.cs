using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The stack's load balancer (<c>local up --servers N</c>, N of 2 or more): <c>hybrid local balancer</c>
/// started detached in front of the servers, ready when it prints the address it listens on; the
/// function's <c>SERVER_URL</c> is that address, as on AWS it is the ALB's.
/// </summary>
static class LocalBalancerProcess
{
    public const string Name = "balancer";

    public static async Task<LocalProcess> StartAsync(LocalState state, IReadOnlyList<LocalProcess> servers, CancellationToken cancellationToken)
    {
        var config = new LocalBalancerConfig { Targets = [.. servers.Select(StackProcess.Endpoint)] };
        var configFile = Path.Combine(state.RunDirectory, "balancer.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config, HybridIngestJsonContext.Default.LocalBalancerConfig), cancellationToken);

        var (executable, arguments) = LocalBalancerCommand.CommandLine(configFile);
        var balancer = DetachedProcess.Start(executable, arguments, state.LogFile(Name));
        return await StackProcess.ReadyAsync(Name, balancer, async () =>
        {
            var listening = await balancer.WaitForLogLineAsync(LocalBalancerCommand.ListeningLine(), StackProcess.ReadyTimeout, cancellationToken);
            return new Uri(listening.Groups[1].Value).Port;
        });
    }
}
