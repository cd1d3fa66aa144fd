using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>
/// <c>hybrid local balancer --config FILE</c> (hidden): the local load balancer in front of the servers
/// of <c>local up --servers N</c>, as a long-running process that <c>local up</c> starts detached.
/// Prints <see cref="ListeningLine"/> once it serves; exits on SIGTERM or Ctrl+C.
/// </summary>
public static partial class LocalBalancerCommand
{
    static readonly Option<string> Config = SharedOptions.Required(OptionKinds.Text<string>("--config",
        "The servers to send to, as local up writes them (JSON).", "a file path"));

    public static Command Create()
    {
        var command = new Command("balancer", "Run the local load balancer in the foreground (started by 'local up --servers N').")
        {
            Config,
        };
        command.Hidden = true;
        command.SetAction((result, ct) => CommandAction.Run(() => RunAsync(result.GetValue(Config)!, ct)));
        return command;
    }

    /// <summary>How to start this command.</summary>
    public static (string Executable, IReadOnlyList<string> Arguments) CommandLine(string configFile) =>
        SelfCommand.CommandLine("local", "balancer", "--config", configFile);

    [GeneratedRegex(@"Local balancer listening on (http://\S+)")]
    public static partial Regex ListeningLine();

    static async Task<ExitCode> RunAsync(string configFile, CancellationToken cancellationToken)
    {
        LocalBalancerConfig config;
        try
        {
            config = JsonSerializer.Deserialize(File.ReadAllText(configFile), HybridIngestJsonContext.Default.LocalBalancerConfig)
                ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new UserException($"Cannot read the balancer configuration {configFile}: {e.Message}");
        }
        LocalBalancer balancer;
        try
        {
            balancer = await LocalBalancer.StartAsync(config.Targets, Console.Out.WriteLine, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new UserException($"The balancer configuration in {configFile} is not valid: {e.Message}");
        }
        await using (balancer)
        {
            Console.Out.WriteLine($"Local balancer listening on {balancer.Endpoint}");
            await SignalSafe.WhenCancelled(cancellationToken);
            Console.Out.WriteLine("Stopping.");
        }
        return ExitCode.Success;
    }
}
