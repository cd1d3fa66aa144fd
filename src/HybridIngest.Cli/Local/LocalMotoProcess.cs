using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The stack's moto_server: started detached as <see cref="MotoServer"/> says, ready when it prints
/// the address it serves on. It holds every resource of the stack in memory, so stopping it removes them.
/// </summary>
static class LocalMotoProcess
{
    public const string Name = "moto";

    public static async Task<LocalProcess> StartAsync(LocalState state, CancellationToken cancellationToken)
    {
        var moto = DetachedProcess.Start(Tool.MotoServer.Name, MotoServer.Arguments, state.LogFile(Name));
        return await StackProcess.ReadyAsync(Name, moto, async () =>
            MotoServer.Port(await moto.WaitForLogLineAsync(MotoServer.RunningOn(), StackProcess.ReadyTimeout, cancellationToken)));
    }
}
