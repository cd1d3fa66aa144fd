using System.Reflection;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// <c>hybrid</c> as a .NET tool, the way the README installs it: packed from the repository and
/// installed from that folder (here with <c>--tool-path</c> instead of <c>--global</c>, so the test
/// leaves this machine's tools alone), then run by its command name.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-tool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task PacksInstallsFromTheRepositoryAndRunsAsHybrid()
    {
        var packages = Path.Combine(_directory, "packages");
        var tools = Path.Combine(_directory, "tools");
        // The project is already built in the test's configuration (the tests reference it): pack that build.
        var configuration = typeof(Program).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

        var pack = await ExternalProcess.RunAsync("dotnet", ["pack", "src/HybridIngest.Cli", "--no-build", "-c", configuration, "-o", packages, "--nologo"]);
        Assert.True(pack.ExitCode == 0, pack.Output);
        var install = await ExternalProcess.RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "HybridIngest.Cli"]);
        Assert.True(install.ExitCode == 0, install.Output);

        var help = await ExternalProcess.RunAsync(Path.Combine(tools, "hybrid"), ["--help"]);

        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("hybrid [command] [options]", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("demo", help.StandardOutput, StringComparison.Ordinal);
    }
}
