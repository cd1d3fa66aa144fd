using System.Text.Json;
using HybridIngest.Testing;

namespace HybridIngest.Infra.Tests;

/// <summary>The AWS CLI pointed at one moto_server: reads the emulated account through the real API.</summary>
public sealed class AwsCli(MotoProcess moto, string region, string workingDirectory)
{
    public Task<CommandResult> RunAsync(params string[] arguments) =>
        CommandLine.RunAsync("aws",
            ["--endpoint-url", moto.Endpoint.ToString().TrimEnd('/'), "--region", region, "--output", "json", .. arguments],
            workingDirectory, moto.ClientEnvironment(region), TimeSpan.FromMinutes(1));

    /// <summary>Runs a call that must succeed and returns its JSON answer.</summary>
    public async Task<JsonElement> JsonAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.Succeeded, result.ToString());
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(result.StandardOutput) ? "{}" : result.StandardOutput);
        return document.RootElement.Clone();
    }
}
