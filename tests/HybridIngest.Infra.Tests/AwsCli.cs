using System.Text.Json;
using HybridIngest.Testing;

namespace HybridIngest.Infra.Tests;

/// <summary>The AWS CLI pointed at one moto_server: reads the emulated account through the real API.</summary>
public sealed class AwsCli(MotoProcess moto, string region, string workingDirectory)
{
    public Task<ProcessRun> RunAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("aws",
            ["--endpoint-url", moto.Endpoint.ToString().TrimEnd('/'), "--region", region, "--output", "json", .. arguments],
            moto.ClientEnvironment(region), workingDirectory, TimeSpan.FromMinutes(1));

    /// <summary>Runs a call that must succeed and returns its JSON answer.</summary>
    public async Task<JsonElement> JsonAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.Succeeded, result.ToString());
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(result.StandardOutput) ? "{}" : result.StandardOutput);
        return document.RootElement.Clone();
    }
}
