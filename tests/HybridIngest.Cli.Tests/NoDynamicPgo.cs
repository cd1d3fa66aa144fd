[assembly: AssemblyFixture(typeof(HybridIngest.Cli.Tests.NoDynamicPgo))]

namespace HybridIngest.Cli.Tests;

/// <summary>
/// Every process these tests start (the CLI, and through it the stacks' servers and Lambda hosts, and
/// the builds it packages with) runs without the JIT's instrumented tier: a server that answers a few
/// hundred requests and stops uses about a third less CPU without it (docs/performance.md). Set once,
/// before any test, in this process's environment, which they all inherit. The shipped server keeps
/// dynamic PGO, which pays off over a long life.
/// </summary>
public sealed class NoDynamicPgo
{
    public NoDynamicPgo() => Environment.SetEnvironmentVariable("DOTNET_TieredPGO", "0");
}
