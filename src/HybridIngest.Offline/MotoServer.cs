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
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "-H", "127.0.0.1", "-p", "0" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Could not start '{executable}' ({e.Message}). Install it with: pip install \"moto[server]\"", e);
        }

        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            output.Enqueue(e.Data);
            if (RunningOn().Match(e.Data) is { Success: true } match)
            {
                ready.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"moto_server exited with code {process.ExitCode} before serving:{Environment.NewLine}{string.Join(Environment.NewLine, output)}"));
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var port = await ready.Task.WaitAsync(timeout.Token);
            return new MotoServer(process, port);
        }
        catch
        {
            ProcessTree.Kill(process);
            process.Dispose();
            throw;
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
        ProcessTree.Kill(_process);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Running on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex RunningOn();
}
