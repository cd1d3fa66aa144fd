using System.Diagnostics;
using System.Net.Sockets;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Bench;

/// <summary>
/// nginx serving files from a temporary folder on a free loopback port: an origin that costs little
/// CPU and runs outside the measured processes, the same for every server compared.
/// </summary>
sealed class NginxOrigin : IAsyncDisposable
{
    readonly Process _process;
    readonly DirectoryInfo _root;

    NginxOrigin(Process process, DirectoryInfo root, Uri baseUrl)
    {
        _process = process;
        _root = root;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public static async Task<NginxOrigin> StartAsync(IReadOnlyDictionary<string, byte[]> files)
    {
        var root = Directory.CreateTempSubdirectory("hybrid-bench-nginx-");
        var www = root.CreateSubdirectory("www");
        foreach (var (name, bytes) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(www.FullName, name), bytes);
        }
        // nginx's workers run as "nobody" when started by root: let them read the files.
        foreach (var path in new[] { root.FullName, www.FullName }.Concat(Directory.EnumerateFiles(www.FullName)))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                | (Directory.Exists(path) ? UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0));
        }
        var port = FreePort.Next();
        var config = Path.Combine(root.FullName, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            worker_processes 1;
            daemon off;
            pid {{root.FullName}}/nginx.pid;
            error_log {{root.FullName}}/error.log;
            events { worker_connections 4096; }
            http {
                access_log off;
                sendfile on;
                keepalive_requests 1000000;
                types { image/jpeg jpg; image/png png; }
                client_body_temp_path {{root.FullName}}/body;
                proxy_temp_path {{root.FullName}}/proxy;
                fastcgi_temp_path {{root.FullName}}/fastcgi;
                uwsgi_temp_path {{root.FullName}}/uwsgi;
                scgi_temp_path {{root.FullName}}/scgi;
                server { listen 127.0.0.1:{{port}}; root {{www.FullName}}; }
            }
            """);
        var process = Process.Start(new ProcessStartInfo("nginx") { ArgumentList = { "-c", config, "-p", root.FullName }, RedirectStandardError = true })
            ?? throw new InvalidOperationException("could not start nginx");
        var origin = new NginxOrigin(process, root, new Uri($"http://127.0.0.1:{port}/"));
        // nginx prints nothing when it is ready: wait until the port accepts a connection.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return origin;
            }
            catch (SocketException) when (attempt < 100 && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                await origin.DisposeAsync();
                throw new InvalidOperationException($"nginx did not start: {await process.StandardError.ReadToEndAsync()}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        ChildProcess.Kill(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _root.Delete(recursive: true);
    }
}
