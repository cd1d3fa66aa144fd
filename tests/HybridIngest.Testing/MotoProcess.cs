using System.Diagnostics;
using HybridIngest.Offline;

namespace HybridIngest.Testing;

/// <summary>
/// A <c>moto_server</c> (the AWS API emulator) on a free loopback port, started as this process's
/// child and owned by this object: disposing it kills the process tree it started and nothing else.
/// </summary>
public sealed class MotoProcess : IAsyncDisposable
{
    readonly Process _process;

    MotoProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri Endpoint { get; }
    public int ProcessId => _process.Id;

    /// <summary>Starts moto_server (<see cref="MotoServer.Arguments"/>) and returns once it prints the address it serves on.</summary>
    public static async Task<MotoProcess> StartAsync(string executable = "moto_server", CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(executable);
        foreach (var argument in MotoServer.Arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            var (process, running) = await ChildProcess.StartAsync(start, MotoServer.RunningOn(), executable, output: null, cancellationToken);
            return new MotoProcess(process, MotoServer.Port(running));
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
        ["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey,
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
}
