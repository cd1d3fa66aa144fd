// One file for now: issue 11 item 2 splits it (moto launcher, stack orchestration, one class per started process).
using System.IO.Compression;
using System.Text.Json;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>What <c>local up</c> may change about the stack it starts.</summary>
/// <param name="ArtifactsDirectory">Where the packages are (packaged there first when missing or older than the sources).</param>
/// <param name="MaxConcurrency">Most execution environments the local Lambda host runs at once.</param>
/// <param name="ServerUrl">A server of the user's (the lab's Flask server, an EC2 instance) that the function calls instead of one <c>up</c> starts.</param>
/// <param name="Dashboard">Start the Aspire dashboard and send the server's and the function's telemetry to it.</param>
public sealed record LocalUpOptions(string ArtifactsDirectory, int MaxConcurrency, Uri? ServerUrl = null, bool Dashboard = false);

/// <summary>
/// The whole system on this machine: moto_server, the repository's infra/ module applied to it, the
/// server from its package, and the function under the local Lambda host. Every process is started
/// detached (it outlives the command) and recorded in <see cref="LocalState"/>; <c>down</c> stops
/// exactly those.
/// </summary>
public sealed partial class LocalStack(LocalState state, string repositoryRoot, IAnsiConsole console)
{
    public const string Moto = "moto";
    public const string Server = "server";
    public const string LambdaHost = "lambda-host";
    public const string Dashboard = LocalDashboard.Name;

    /// <summary>
    /// The server downloads only from public addresses unless told otherwise; locally the images
    /// come from an origin on this machine.
    /// </summary>
    public const string AllowedPrivateCidrs = "127.0.0.0/8";

    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    string InfraDirectory => Path.Combine(repositoryRoot, "infra");

    public async Task<LocalStackStatus> UpAsync(LocalUpOptions options, CancellationToken cancellationToken)
    {
        if (state.Load() is { } running)
        {
            throw new UserException(
                $"A local stack is already up (since {running.StartedAt:u}, state in {state.StateFile}; Lambda endpoint {running.LambdaEndpoint}). Use it, or run 'hybrid local down' first.");
        }
        RequireTools(options);
        RemoveLeftovers();
        var started = new List<LocalProcess>();
        try
        {
            var package = await StepAsync("Packaging the function and the server", () => PackageAsync(options.ArtifactsDirectory, cancellationToken),
                p => p.Rebuilt ? $"packaged into {Path.GetDirectoryName(p.LambdaZip)}" : $"packages in {Path.GetDirectoryName(p.LambdaZip)} are up to date");
            var artifacts = CopyArtifacts(package);

            var moto = await StepAsync("Starting moto_server", () => StartMotoAsync(cancellationToken), m => $"moto_server on {Endpoint(m)}");
            started.Add(moto);
            var motoEndpoint = Endpoint(moto);

            var outputs = await StepAsync("Applying infra/ to moto_server (terraform init + apply)",
                () => ApplyAsync(motoEndpoint, artifacts, cancellationToken),
                o => $"applied: function {o.FunctionName}, bucket {o.Bucket} ({o.Region})");

            (string Page, string OtlpEndpoint)? dashboard = null;
            var telemetry = new Dictionary<string, string>();
            if (options.Dashboard)
            {
                var (process, page, otlp) = await StepAsync("Starting the Aspire dashboard", () => StartDashboardAsync(cancellationToken),
                    d => $"dashboard on {d.Page} (OTLP/HTTP on {d.OtlpEndpoint}: the server and the function send their traces there)");
                started.Add(process);
                dashboard = (page, otlp);
                telemetry = new Dictionary<string, string>(LocalDashboard.TelemetryEnvironment(otlp));
            }

            string serverUrl;
            if (options.ServerUrl is { } external)
            {
                serverUrl = external.OriginalString;
                console.MarkupLineInterpolated($"[green]✓[/] no server started: the function calls {serverUrl} (--server-url)");
            }
            else
            {
                var server = await StepAsync("Starting the server from server.zip",
                    () => StartServerAsync(artifacts, outputs, motoEndpoint, telemetry, cancellationToken),
                    s => $"server on {Endpoint(s)}, ready (INGEST_ALLOWED_PRIVATE_CIDRS={AllowedPrivateCidrs}: it may download from origins on this machine)");
                started.Add(server);
                serverUrl = Endpoint(server);
            }

            var host = await StepAsync("Starting the local Lambda host with lambda.zip",
                () => StartLambdaHostAsync(artifacts, outputs, serverUrl, options.MaxConcurrency, telemetry, cancellationToken),
                h => $"Lambda Invoke API on {Endpoint(h)} (timeout {outputs.FunctionTimeoutSeconds} s, memory {outputs.FunctionMemoryMb} MB)");
            started.Add(host);

            var status = new LocalStackStatus
            {
                LambdaEndpoint = Endpoint(host),
                FunctionName = outputs.FunctionName,
                ServerUrl = serverUrl,
                S3Endpoint = motoEndpoint,
                Bucket = outputs.Bucket,
                Region = outputs.Region,
                DashboardUrl = dashboard?.Page,
                OtlpEndpoint = dashboard?.OtlpEndpoint,
                StartedAt = DateTimeOffset.UtcNow,
                Processes = started,
            };
            state.Save(status);
            return status;
        }
        catch (Exception e)
        {
            var reason = e is OperationCanceledException ? "interrupted" : "failed";
            console.MarkupLineInterpolated($"[red]local up {reason}[/]: stopping the {started.Count} process(es) it started.");
            await StopAllAsync(started);
            state.Delete();
            if (e is InvalidOperationException or TimeoutException)
            {
                throw new UserException($"local up failed, and stopped what it had started: {e.Message} (logs: {state.LogDirectory})", ExitCode.Error);
            }
            throw;
        }
    }

    /// <summary>
    /// The tools <c>up</c> needs, checked before it creates or starts anything: moto_server and
    /// terraform, and dotnet and clang when the packages are due for a publish.
    /// </summary>
    public void RequireTools(LocalUpOptions options)
    {
        Tool.Require(Tool.MotoServer, Tool.Terraform);
        if (options.Dashboard)
        {
            LocalDashboard.Require();
        }
        new Packager(repositoryRoot, TextWriter.Null).RequireToolchainIfStale(HostArchitecture(), options.ArtifactsDirectory);
    }

    /// <summary>
    /// Stops exactly the processes <c>up</c> recorded (each only if it is still the process that was
    /// started). moto_server keeps every resource in memory, so stopping it removes them all; with
    /// <paramref name="destroy"/> a <c>terraform destroy</c> against it runs first, as on AWS.
    /// Returns false when nothing was up.
    /// </summary>
    public async Task<bool> DownAsync(bool destroy, CancellationToken cancellationToken)
    {
        if (state.Load() is not { } status)
        {
            return false;
        }
        if (destroy)
        {
            Tool.Require(Tool.Terraform);
        }
        var moto = status.Processes.FirstOrDefault(p => p.Name == Moto);
        Exception? destroyFailure = null;
        if (destroy && moto is not null && ToDetached(moto).IsAlive && Terraform().HasState)
        {
            try
            {
                await StepAsync("Destroying the Terraform stack on moto_server", () => DestroyAsync(status, cancellationToken), _ => "destroyed");
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                // The processes are stopped anyway: moto_server keeps its resources in memory only.
                destroyFailure = e;
            }
        }
        await StepAsync("Stopping the processes local up started", () => StopAllAsync(status.Processes),
            stopped => $"stopped {stopped} of {status.Processes.Count} ({string.Join(", ", status.Processes.Select(p => $"{p.Name} pid {p.Pid}"))})");
        state.Delete();
        if (destroyFailure is OperationCanceledException)
        {
            throw destroyFailure;
        }
        if (destroyFailure is not null)
        {
            throw new UserException($"terraform destroy failed; the processes are stopped and the state removed. {destroyFailure.Message}", ExitCode.Error);
        }
        return true;
    }

    /// <summary>The recorded stack with whether each process is still alive, or null when nothing is up.</summary>
    public static LocalStackStatus? Status(LocalState state) => state.Load() is { } status
        ? status with { Processes = [.. status.Processes.Select(p => p with { Alive = ToDetached(p).IsAlive })] }
        : null;

    async Task<T> StepAsync<T>(string title, Func<Task<T>> step, Func<T, string> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await console.Status().StartAsync(title, _ => step());
        console.MarkupLineInterpolated($"[green]✓[/] {done(result)} [grey]({clock.Elapsed.TotalSeconds:0.0} s)[/]");
        return result;
    }

    async Task<PackageResult> PackageAsync(string artifactsDirectory, CancellationToken cancellationToken)
    {
        using var log = new StringWriter();
        return await new Packager(repositoryRoot, log).PackageAsync(HostArchitecture(), artifactsDirectory, cancellationToken);
    }

    static string HostArchitecture() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        _ => "x86_64",
    };

    /// <summary>
    /// The stack runs from its own copy of the packages: Terraform hashes the same files at apply
    /// and at destroy, and a new <c>hybrid package</c> does not pull files from under the processes.
    /// </summary>
    LocalArtifacts CopyArtifacts(PackageResult package)
    {
        Directory.CreateDirectory(state.RunDirectory);
        var artifacts = new LocalArtifacts(Path.Combine(state.RunDirectory, "lambda.zip"), Path.Combine(state.RunDirectory, "server.zip"));
        File.Copy(package.LambdaZip, artifacts.LambdaZip, overwrite: true);
        File.Copy(package.ServerZip, artifacts.ServerZip, overwrite: true);
        return artifacts;
    }

    async Task<LocalProcess> StartMotoAsync(CancellationToken cancellationToken)
    {
        var moto = DetachedProcess.Start(Tool.MotoServer.Name, ["-H", "127.0.0.1", "-p", "0"], LogFile(Moto));
        var running = await WaitReadyAsync(moto, () => moto.WaitForLogLineAsync(MotoServer.RunningOn(), ReadyTimeout, cancellationToken));
        var port = int.Parse(running.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return Record(Moto, moto, port);
    }

    async Task<StackOutputs> ApplyAsync(string motoEndpoint, LocalArtifacts artifacts, CancellationToken cancellationToken)
    {
        var terraform = Terraform();
        await terraform.InitAsync(cancellationToken);
        await terraform.ApplyAsync(Variables(motoEndpoint, artifacts), cancellationToken);
        return StackOutputs.From(await terraform.OutputsAsync(cancellationToken));
    }

    async Task<int> DestroyAsync(LocalStackStatus status, CancellationToken cancellationToken)
    {
        var terraform = Terraform();
        await terraform.DestroyAsync(Variables(status.S3Endpoint, LocalArtifacts.In(state.RunDirectory)), cancellationToken);
        return 0;
    }

    static Dictionary<string, string> Variables(string motoEndpoint, LocalArtifacts artifacts) => new()
    {
        ["aws_endpoint_url"] = motoEndpoint,
        ["lambda_artifact_path"] = artifacts.LambdaZip,
        ["server_artifact_path"] = artifacts.ServerZip,
    };

    async Task<(LocalProcess Process, string Page, string OtlpEndpoint)> StartDashboardAsync(CancellationToken cancellationToken)
    {
        var dashboard = LocalDashboard.Start(LogFile(Dashboard));
        var (page, otlp) = await WaitReadyAsync(dashboard, () => LocalDashboard.WaitReadyAsync(dashboard, ReadyTimeout, cancellationToken));
        return (Record(Dashboard, dashboard, new Uri(page).Port), page, otlp);
    }

    async Task<LocalProcess> StartServerAsync(
        LocalArtifacts artifacts, StackOutputs outputs, string motoEndpoint, IReadOnlyDictionary<string, string> telemetry, CancellationToken cancellationToken)
    {
        var directory = Extract(artifacts.ServerZip, "server", Packager.ServerExecutableName);
        var port = FreePort.Next();
        // The instance's environment (from Terraform), pointed at this machine.
        var environment = outputs.ServerEnvironment.ToDictionary(e => e.Key, e => (string?)e.Value);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        environment["AWS_ENDPOINT_URL_S3"] = motoEndpoint;
        environment["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey;
        environment["AWS_SESSION_TOKEN"] = null;
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment[ServerSettingNames.AllowedPrivateCidrs] = AllowedPrivateCidrs;
        foreach (var (name, value) in telemetry)
        {
            environment[name] = value;
        }

        var server = DetachedProcess.Start(Path.Combine(directory, Packager.ServerExecutableName), [], LogFile(Server), environment, directory);
        var url = $"http://127.0.0.1:{port}";
        await WaitReadyAsync(server, () => WaitForReadyEndpointAsync(server, new Uri($"{url}/ready"), cancellationToken));
        return Record(Server, server, port);
    }

    async Task<LocalProcess> StartLambdaHostAsync(
        LocalArtifacts artifacts, StackOutputs outputs, string serverUrl, int maxConcurrency, IReadOnlyDictionary<string, string> telemetry,
        CancellationToken cancellationToken)
    {
        var directory = Extract(artifacts.LambdaZip, "function", Packager.BootstrapName);
        var environment = new Dictionary<string, string>(outputs.FunctionEnvironment) { [FunctionEnvironmentVariables.ServerUrl] = serverUrl };
        foreach (var (name, value) in telemetry)
        {
            environment[name] = value;
        }
        var config = new LocalLambdaHostConfig
        {
            FunctionName = outputs.FunctionName,
            BootstrapPath = Path.Combine(directory, Packager.BootstrapName),
            Environment = environment,
            TimeoutSeconds = outputs.FunctionTimeoutSeconds,
            MemoryMb = outputs.FunctionMemoryMb,
            MaxConcurrency = maxConcurrency,
            Region = outputs.Region,
            AccountId = outputs.FunctionArn.Split(':')[4], // arn:aws:lambda:REGION:ACCOUNT:function:NAME
        };
        var configFile = Path.Combine(state.RunDirectory, "lambda-host.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config, HybridIngestJsonContext.Default.LocalLambdaHostConfig), cancellationToken);

        var (executable, arguments) = LocalLambdaHostCommand.CommandLine(configFile);
        var host = DetachedProcess.Start(executable, arguments, LogFile(LambdaHost));
        var listening = await WaitReadyAsync(host, () => host.WaitForLogLineAsync(LocalLambdaHostCommand.ListeningLine(), ReadyTimeout, cancellationToken));
        return Record(LambdaHost, host, new Uri(listening.Groups[1].Value).Port);
    }

    string Extract(string zip, string name, string executable)
    {
        var directory = Path.Combine(state.RunDirectory, name);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        ZipFile.ExtractToDirectory(zip, directory);
        // The zip carries mode 0755 for it; made sure of, since a zip tool may drop it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(directory, executable),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return directory;
    }

    /// <summary>Polls /ready (the server checks its bucket there) until it answers 200.</summary>
    static async Task<int> WaitForReadyEndpointAsync(DetachedProcess server, Uri ready, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadyTimeout);
        var last = "no answer";
        while (true)
        {
            if (!server.IsAlive)
            {
                throw new InvalidOperationException($"The server exited before it was ready; see {server.LogFile}.");
            }
            try
            {
                using var response = await http.GetAsync(ready, deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return (int)response.StatusCode;
                }
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(deadline.Token)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The server did not become ready within {ReadyTimeout.TotalSeconds:0} s (last answer of {ready}: {last}); see {server.LogFile}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
    }

    /// <summary>
    /// Runs a readiness wait; if it fails, the process (already started) is stopped before the
    /// failure goes on, because it is not in the list <c>up</c> cleans up from yet.
    /// </summary>
    static async Task<T> WaitReadyAsync<T>(DetachedProcess process, Func<Task<T>> wait)
    {
        try
        {
            return await wait();
        }
        catch
        {
            await process.StopAsync(StopGrace);
            throw;
        }
    }

    /// <summary>Stops processes last-started first, each only if it is still the one recorded.</summary>
    static async Task<int> StopAllAsync(IEnumerable<LocalProcess> processes)
    {
        var stopped = 0;
        foreach (var process in processes.Reverse())
        {
            if (await ToDetached(process).StopAsync(StopGrace))
            {
                stopped++;
            }
        }
        return stopped;
    }

    /// <summary>Logs of a previous stack and a half-written run directory from an interrupted one.</summary>
    void RemoveLeftovers()
    {
        state.Delete();
        if (Directory.Exists(state.LogDirectory))
        {
            Directory.Delete(state.LogDirectory, recursive: true);
        }
    }

    LocalTerraform Terraform() => new(InfraDirectory, state.TerraformDirectory, LogFile("terraform"));

    string LogFile(string name) => Path.Combine(state.LogDirectory, $"{name}.log");

    static string Endpoint(LocalProcess process) => $"http://127.0.0.1:{process.Port}";

    static LocalProcess Record(string name, DetachedProcess process, int port) => new()
    {
        Name = name,
        Pid = process.Pid,
        Port = port,
        ProcessStartedAt = process.StartedAt,
        ProcessStartTicks = process.StartTicks,
        CommandLine = process.CommandLine,
        LogFile = process.LogFile,
    };

    internal static DetachedProcess ToDetached(LocalProcess process) =>
        new(process.Pid, process.ProcessStartTicks, process.ProcessStartedAt, process.CommandLine, process.LogFile);

    sealed record LocalArtifacts(string LambdaZip, string ServerZip)
    {
        public static LocalArtifacts In(string directory) => new(Path.Combine(directory, "lambda.zip"), Path.Combine(directory, "server.zip"));
    }

    /// <summary>What local mode needs from <c>terraform output</c> (names as in infra/outputs.tf).</summary>
    sealed record StackOutputs(
        string FunctionName,
        string FunctionArn,
        string Bucket,
        string Region,
        IReadOnlyDictionary<string, string> ServerEnvironment,
        IReadOnlyDictionary<string, string> FunctionEnvironment,
        int FunctionTimeoutSeconds,
        int FunctionMemoryMb)
    {
        public static StackOutputs From(IReadOnlyDictionary<string, JsonElement> outputs)
        {
            JsonElement Output(string name) => outputs.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException($"infra/ has no output '{name}', which local mode reads (see infra/README.md).");
            static Dictionary<string, string> Map(JsonElement map) => map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            return new StackOutputs(
                Output("function_name").GetString()!,
                Output("function_arn").GetString()!,
                Output("bucket_name").GetString()!,
                Output("region").GetString()!,
                Map(Output("server_environment")),
                Map(Output("function_environment")),
                Output("function_timeout_s").GetInt32(),
                Output("function_memory_mb").GetInt32());
        }
    }
}
