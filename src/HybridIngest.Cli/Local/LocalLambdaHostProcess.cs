using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The stack's local Lambda host: <c>hybrid local lambda-host</c> started detached with the function
/// from <c>lambda.zip</c> as Terraform deployed it (environment, timeout, memory, ARN) and
/// <c>SERVER_URL</c> set to the server the stack uses; ready when it prints the address it listens on.
/// </summary>
static class LocalLambdaHostProcess
{
    public const string Name = "lambda-host";

    public static async Task<LocalProcess> StartAsync(
        LocalState state, LocalArtifacts artifacts, StackOutputs outputs, string serverUrl, int maxConcurrency, CancellationToken cancellationToken)
    {
        var directory = artifacts.Extract(artifacts.LambdaZip, "function", Packager.BootstrapName);
        var config = new LocalLambdaHostConfig
        {
            FunctionName = outputs.FunctionName,
            BootstrapPath = Path.Combine(directory, Packager.BootstrapName),
            Environment = new Dictionary<string, string>(outputs.FunctionEnvironment) { [FunctionEnvironmentVariables.ServerUrl] = serverUrl },
            TimeoutSeconds = outputs.FunctionTimeoutSeconds,
            MemoryMb = outputs.FunctionMemoryMb,
            MaxConcurrency = maxConcurrency,
            Region = outputs.Region,
            AccountId = outputs.FunctionArn.Split(':')[4], // arn:aws:lambda:REGION:ACCOUNT:function:NAME
        };
        var configFile = Path.Combine(state.RunDirectory, "lambda-host.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config, HybridIngestJsonContext.Default.LocalLambdaHostConfig), cancellationToken);

        var (executable, arguments) = LocalLambdaHostCommand.CommandLine(configFile);
        var host = DetachedProcess.Start(executable, arguments, state.LogFile(Name));
        return await StackProcess.ReadyAsync(Name, host, async () =>
        {
            var listening = await host.WaitForLogLineAsync(LocalLambdaHostCommand.ListeningLine(), StackProcess.ReadyTimeout, cancellationToken);
            return new Uri(listening.Groups[1].Value).Port;
        });
    }
}
