using Spectre.Console;

namespace HybridIngest.Cli.Local;

/// <summary>
/// <c>local restart-servers</c>: every server of the stack replaced one at a time while traffic flows,
/// as an instance refresh with a minimum healthy of 100% does. For each server: a new one is started
/// from the launch template and waited for (<c>/ready</c> 200); the balancer is given the new one in
/// place of the old (it answers once it sends to exactly those, so no new request reaches the old
/// one); then the old one gets SIGTERM and drains what it still has in flight
/// (<see cref="LocalServerProcess.BalancedDrainSeconds"/>) while the next one is replaced. The state
/// is saved after each step, so it always names the servers that run.
/// </summary>
sealed class RollingRestart(LocalState state, IAnsiConsole console)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var status = state.Load() ?? throw new UserException($"No local stack is up (no {state.StateFile}). Start one with 'hybrid local up --servers 2'.");
        var balancer = status.Processes.FirstOrDefault(p => p.Name == LocalBalancerProcess.Name)
            ?? throw new UserException(
                "This local stack runs one server and no balancer, so its server cannot be replaced without an outage. "
                + "Bring it up with 'hybrid local up --servers 2' (or more) to restart servers one at a time.");
        var launch = LocalServerProcess.Launch(state);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var draining = new List<Task>();
        var old = status.Processes.Where(p => p.Name == LocalServerProcess.Name).ToList();
        try
        {
            foreach (var server in old)
            {
                var replacement = await LocalServerProcess.StartAsync(state, launch, balanced: true, cancellationToken);
                var processes = status.Processes.Select(p => p == server ? replacement : p).ToList();
                try
                {
                    await LocalBalancer.SetTargetsAsync(http, StackProcess.Endpoint(balancer),
                        [.. processes.Where(p => p.Name == LocalServerProcess.Name).Select(StackProcess.Endpoint)], cancellationToken);
                }
                catch
                {
                    await StackProcess.StopAsync(replacement);
                    throw;
                }
                status = status with { Processes = processes };
                state.Save(status);
                console.MarkupLineInterpolated(
                    $"[green]✓[/] server on {StackProcess.Endpoint(server)} (pid {server.Pid}) replaced by one on {StackProcess.Endpoint(replacement)} (pid {replacement.Pid}); the old one drains");
                draining.Add(StackProcess.StopAsync(server, LocalServerProcess.BalancedStopGrace));
            }
        }
        finally
        {
            await Task.WhenAll(draining);
        }
        console.MarkupLineInterpolated($"[green]✓[/] {old.Count} server(s) restarted one at a time behind the balancer on {StackProcess.Endpoint(balancer)}");
        return old.Count;
    }
}
