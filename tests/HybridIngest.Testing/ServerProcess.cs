using System.Diagnostics;
using System.Text.RegularExpressions;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Testing;

/// <summary>
/// The ingest server as a child process on a loopback port it picks itself, owned by this object:
/// disposing it kills the process tree it started.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    readonly Process _process;

    ServerProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    /// <summary>http://127.0.0.1:PORT/ the server listens on.</summary>
    public Uri BaseUrl { get; }
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts <paramref name="server"/> (a built HybridIngest.Server.dll, run with <c>dotnet</c>, or a
    /// published executable) with <c>--urls http://127.0.0.1:0</c> and <paramref name="environment"/>
    /// on top of this process's, and returns once it logs the address it listens on.
    /// </summary>
    /// <param name="output">Receives each line the server writes (stdout, its log, and stderr).</param>
    public static async Task<ServerProcess> StartAsync(
        string server,
        IReadOnlyDictionary<string, string> environment,
        Action<string>? output = null,
        CancellationToken cancellationToken = default)
    {
        var start = server.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { server } }
            : new ProcessStartInfo(server);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var (process, listening) = await ChildProcess.StartAsync(start, ListeningOn(), $"The server ({server})", output, cancellationToken);
        return new ServerProcess(process, new Uri(listening.Groups[1].Value + "/"));
    }

    /// <summary>
    /// The server's settings for storing into <paramref name="bucket"/> at a local S3 endpoint (moto, or
    /// the benchmark's sink) with moto's dummy keys, and downloading from origins on loopback (which
    /// production refuses as private addresses).
    /// </summary>
    public static Dictionary<string, string> LocalSettings(Uri s3Endpoint, string bucket) => new()
    {
        ["S3_BUCKET"] = bucket,
        ["AWS_ENDPOINT_URL_S3"] = s3Endpoint.ToString().TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey,
        ["AWS_REGION"] = "us-east-1",
        [ServerSettingNames.AllowedPrivateCidrs] = "127.0.0.1/32",
    };

    /// <summary>Completes when the server's process has exited (after a signal, say).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        ChildProcess.Kill(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
