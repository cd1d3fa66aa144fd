using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.LocalLambda;

namespace HybridIngest.Cli;

/// <summary>
/// <c>hybrid local lambda-host --config FILE</c> (hidden): the local Lambda host as a long-running
/// process, which <c>local up</c> starts detached. Prints <see cref="ListeningLine"/> once it serves;
/// stops its execution environments and exits on SIGTERM or Ctrl+C.
/// </summary>
public static partial class LocalLambdaHostCommand
{
    static readonly Option<string> Config = SharedOptions.Required(OptionKinds.Text<string>("--config",
        "The function's configuration as local up writes it (JSON).", "a file path"));

    public static Command Create()
    {
        var command = new Command("lambda-host", "Run the local Lambda host in the foreground (started by 'local up').")
        {
            Config,
        };
        command.Hidden = true;
        command.SetAction((result, ct) => CommandAction.Run(() => RunAsync(result.GetValue(Config)!, ct)));
        return command;
    }

    /// <summary>How to start this command.</summary>
    public static (string Executable, IReadOnlyList<string> Arguments) CommandLine(string configFile) =>
        SelfCommand.CommandLine("local", "lambda-host", "--config", configFile);

    [GeneratedRegex(@"Local Lambda host listening on (http://\S+)")]
    public static partial Regex ListeningLine();

    static async Task<ExitCode> RunAsync(string configFile, CancellationToken cancellationToken)
    {
        var config = ReadConfig(configFile);
        var options = new LocalLambdaOptions
        {
            FunctionName = config.FunctionName,
            BootstrapPath = config.BootstrapPath,
            Environment = config.Environment,
            TimeoutSeconds = config.TimeoutSeconds,
            MemoryMb = config.MemoryMb,
            MaxConcurrency = config.MaxConcurrency,
            Region = config.Region,
            AccountId = config.AccountId,
            Log = Console.Out.WriteLine,
        };
        LocalLambdaHost host;
        try
        {
            host = await LocalLambdaHost.StartAsync(options, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new UserException($"The function's configuration in {configFile} is not valid: {e.Message}");
        }
        await using (host)
        {
            Console.Out.WriteLine($"Local Lambda host listening on {host.Endpoint} for {config.FunctionName}");
            await SignalSafe.WhenCancelled(cancellationToken);
            Console.Out.WriteLine("Stopping: shutting down the execution environments.");
        }
        return ExitCode.Success;
    }

    static LocalLambdaHostConfig ReadConfig(string configFile)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(configFile), HybridIngestJsonContext.Default.LocalLambdaHostConfig)
                ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new UserException($"Cannot read the Lambda host configuration {configFile}: {e.Message}");
        }
    }
}
