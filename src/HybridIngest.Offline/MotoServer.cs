using System.Diagnostics;
using System.Text.RegularExpressions;

namespace HybridIngest.Offline;

/// <summary>
/// A <c>moto_server</c> (the AWS API emulator) on a free loopback port, owned by this object:
/// disposing it kills the process tree it started and nothing else.
/// </summary>
public sealed partial class MotoServer : IAsyncDisposable
{
    /// <summary>Credentials moto accepts (it needs an Authorization header, not a valid one).</summary>
    public const string AccessKeyId = "testing";
    public const string SecretAccessKey = "testing";

    readonly Process _process;

    MotoServer(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri Endpoint { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts moto_server on a port the OS picks (<c>-p 0</c>, so no race for a free port) and
    /// returns once it prints the address it serves on.
    /// </summary>
    public static async Task<MotoServer> StartAsync(string executable = "moto_server", CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(executable) { ArgumentList = { "-H", "127.0.0.1", "-p", "0" } };
        try
        {
            var (process, running) = await ChildProcess.StartAsync(start, RunningOn(), executable, output: null, cancellationToken);
            return new MotoServer(process, int.Parse(running.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Could not start '{executable}' ({e.Message}). Install it with: pip install \"moto[server]\"", e);
        }
    }

    /// <summary>Environment variables that point an AWS SDK or the AWS CLI at this emulator.</summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment(string region = "us-east-1") => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
        ["AWS_REGION"] = region,
        ["AWS_DEFAULT_REGION"] = region,
    };

    /// <summary>Stops the emulator (its state is lost). Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        ChildProcess.Kill(_process);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    /// <summary>The line moto_server prints once it serves, with its port.</summary>
    [GeneratedRegex(@"Running on http://127\.0\.0\.1:(\d+)")]
    public static partial Regex RunningOn();
}
