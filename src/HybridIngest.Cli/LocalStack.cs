using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>What <c>local up</c> may change about the stack it starts.</summary>
/// <param name="ArtifactsDirectory">Where the packages are (packaged there first when missing or built from other sources).</param>
/// <param name="MaxConcurrency">Most execution environments the local Lambda host runs at once.</param>
/// <param name="ServerUrl">A server of the user's (the lab's Flask server, an EC2 instance) that the function calls instead of one <c>up</c> starts.</param>
/// <param name="Servers">How many servers to start; from 2 on, behind the local balancer.</param>
/// <param name="Dashboard">Start the Aspire dashboard and send the server's and the function's telemetry to it.</param>
/// <param name="Terraform">Apply infra/ to moto_server; without it only the bucket is created, and the function and the server get infra/'s default settings.</param>
public sealed record LocalUpOptions(string ArtifactsDirectory, int MaxConcurrency, Uri? ServerUrl = null, int Servers = 1, bool Dashboard = false, bool Terraform = true);

/// <summary>
/// The whole system on this machine: moto_server, the repository's infra/ module applied to it, the
/// server from its package, the function under the local Lambda host and, on request, the Aspire
/// dashboard that their telemetry goes to. Every process is started
/// detached (it outlives the command) and recorded in <see cref="LocalState"/>; <c>down</c> stops
/// exactly those. This class orders the steps; each process is one class in Local/
/// (<see cref="LocalMotoProcess"/>, <see cref="LocalDashboardProcess"/>, <see cref="LocalServerProcess"/>, <see cref="LocalLambdaHostProcess"/>).
/// </summary>
public sealed class LocalStack(LocalState state, string repositoryRoot, IAnsiConsole console)
{
    string InfraDirectory => Path.Combine(repositoryRoot, "infra");

    public async Task<LocalStackStatus> UpAsync(LocalUpOptions options, CancellationToken cancellationToken)
    {
        if (state.Load() is { } running)
        {
            throw new UserException(
                $"A local stack is already up (since {running.StartedAt:u}, state in {state.StateFile}; Lambda endpoint {running.LambdaEndpoint}). Use it, or run 'hybrid local down' first.");
        }
        await RequireToolsAsync(options);
        RemoveLeftovers();
        var started = new List<LocalProcess>();
        try
        {
            var package = await StepAsync("Packaging the function and the server", () => PackageAsync(options.ArtifactsDirectory, cancellationToken),
                p => p.Rebuilt ? $"packaged into {Path.GetDirectoryName(p.LambdaZip)}" : $"packages in {Path.GetDirectoryName(p.LambdaZip)} are up to date");
            var artifacts = LocalArtifacts.CopyFrom(package, state.RunDirectory);

            var moto = await StepAsync("Starting moto_server", () => LocalMotoProcess.StartAsync(state, cancellationToken),
                m => $"moto_server on {StackProcess.Endpoint(m)}");
            started.Add(moto);
            var motoEndpoint = StackProcess.Endpoint(moto);

            var applied = new TerraformProgress();
            var outputs = options.Terraform
                ? await StepAsync("Applying infra/ to moto_server (terraform init + apply)",
                    () => ApplyAsync(motoEndpoint, artifacts, applied, cancellationToken),
                    o => $"applied {applied.Done} resources: function {o.FunctionName}, bucket {o.Bucket} ({o.Region})", applied.Describe)
                : await StepAsync("Creating the bucket on moto_server (--no-terraform: infra/ is not applied)",
                    () => CreateBucketAsync(motoEndpoint, cancellationToken),
                    o => $"bucket {o.Bucket} ({o.Region}); the function and the server get infra/'s default settings");

            LocalDashboardProcess.Started? dashboard = null;
            if (options.Dashboard)
            {
                dashboard = await StepAsync("Starting the Aspire dashboard", () => LocalDashboardProcess.StartAsync(state, cancellationToken),
                    d => $"dashboard on {d.Page} (OTLP/HTTP on {d.OtlpEndpoint}: the server and the function send their traces there)");
                started.Add(dashboard.Process);
            }
            var telemetry = dashboard?.TelemetryEnvironment ?? new Dictionary<string, string>();

            string serverUrl;
            if (options.ServerUrl is { } external)
            {
                serverUrl = external.OriginalString;
                console.MarkupLineInterpolated($"[green]✓[/] no server started: the function calls {serverUrl} (--server-url)");
            }
            else
            {
                serverUrl = await StartServersAsync(artifacts, outputs, motoEndpoint, options.Servers, telemetry, started, cancellationToken);
            }

            var host = await StepAsync("Starting the local Lambda host with lambda.zip",
                () => LocalLambdaHostProcess.StartAsync(state, artifacts, outputs, serverUrl, options.MaxConcurrency, telemetry, cancellationToken),
                h => $"Lambda Invoke API on {StackProcess.Endpoint(h)} (timeout {outputs.FunctionTimeoutSeconds} s, memory {outputs.FunctionMemoryMb} MB)");
            started.Add(host);

            var status = new LocalStackStatus
            {
                LambdaEndpoint = StackProcess.Endpoint(host),
                FunctionName = outputs.FunctionName,
                ServerUrl = serverUrl,
                S3Endpoint = motoEndpoint,
                Bucket = outputs.Bucket,
                Region = outputs.Region,
                DashboardUrl = dashboard?.Page,
                OtlpEndpoint = dashboard?.OtlpEndpoint,
                StartedAt = DateTimeOffset.UtcNow,
                TerraformApplied = options.Terraform,
                Processes = started,
            };
            state.Save(status);
            return status;
        }
        catch (Exception e)
        {
            // Worded for each command that brings a stack up (local up, demo, local invoke).
            var reason = e is OperationCanceledException ? "was interrupted" : "failed";
            console.MarkupLineInterpolated($"[red]Starting the local stack {reason}[/]: stopping the {started.Count} process(es) it started.");
            await StopAllAsync(started);
            state.Delete();
            if (e is InvalidOperationException or TimeoutException)
            {
                throw new UserException($"The local stack did not start, and what it had started is stopped: {e.Message} (logs: {state.LogDirectory})", ExitCode.Error);
            }
            throw;
        }
    }

    /// <summary>
    /// One server, which the function calls directly (as today's single instance); or N servers and the
    /// balancer in front of them, which the function calls. Each started process joins <paramref name="started"/>
    /// at once, so a failure stops it too. Returns the URL the function calls.
    /// </summary>
    async Task<string> StartServersAsync(
        LocalArtifacts artifacts, StackOutputs outputs, string motoEndpoint, int count, IReadOnlyDictionary<string, string> telemetry,
        List<LocalProcess> started, CancellationToken cancellationToken)
    {
        var balanced = count > 1;
        var launch = LocalServerProcess.Prepare(state, artifacts, outputs, motoEndpoint, telemetry, balanced);
        var servers = new List<LocalProcess>();
        for (var i = 1; i <= count; i++)
        {
            var server = await StepAsync(balanced ? $"Starting server {i} of {count} from server.zip" : "Starting the server from server.zip",
                () => LocalServerProcess.StartAsync(state, launch, balanced, cancellationToken),
                s => $"server on {StackProcess.Endpoint(s)}, ready (INGEST_ALLOWED_PRIVATE_CIDRS={LocalServerProcess.AllowedPrivateCidrs}: it may download from origins on this machine)");
            started.Add(server);
            servers.Add(server);
        }
        if (!balanced)
        {
            return StackProcess.Endpoint(servers[0]);
        }
        var balancer = await StepAsync("Starting the local balancer in front of the servers",
            () => LocalBalancerProcess.StartAsync(state, servers, cancellationToken),
            b => $"balancer on {StackProcess.Endpoint(b)} (YARP: least requests, /ready probed every {LocalBalancer.HealthCheckInterval.TotalSeconds:0} s); the servers drain {LocalServerProcess.BalancedDrainSeconds} s on SIGTERM");
        started.Add(balancer);
        return StackProcess.Endpoint(balancer);
    }

    /// <summary>
    /// The tools <c>up</c> needs, checked before it creates or starts anything: moto_server and
    /// terraform, and dotnet and clang when the packages are due for a publish.
    /// </summary>
    public async Task RequireToolsAsync(LocalUpOptions options)
    {
        Tool.Require(options.Terraform ? [Tool.MotoServer, Tool.Terraform] : [Tool.MotoServer]);
        if (options.Dashboard)
        {
            LocalDashboardProcess.Require();
        }
        await new Packager(repositoryRoot, TextWriter.Null).RequireToolchainIfStaleAsync(Packager.HostArchitecture, options.ArtifactsDirectory);
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
        var moto = status.Processes.FirstOrDefault(p => p.Name == LocalMotoProcess.Name);
        Exception? destroyFailure = null;
        if (destroy && moto is not null && StackProcess.IsAlive(moto) && Terraform().HasState)
        {
            try
            {
                var destroyed = new TerraformProgress();
                await StepAsync("Destroying the Terraform stack on moto_server", () => DestroyAsync(status, destroyed, cancellationToken),
                    count => $"destroyed {count} resources", destroyed.Describe);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                // The processes are stopped anyway: moto_server keeps its resources in memory only.
                destroyFailure = e;
            }
        }
        await StepAsync("Stopping the stack's processes", () => StopAllAsync(status.Processes),
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
        ? status with { Processes = [.. status.Processes.Select(p => p with { Alive = StackProcess.IsAlive(p) })] }
        : null;

    async Task<T> StepAsync<T>(string title, Func<Task<T>> step, Func<T, string> done, Func<string?>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await console.LongStepAsync(title, step, progress);
        console.MarkupLineInterpolated($"[green]✓[/] {done(result)} [grey]({clock.Elapsed.TotalSeconds:0.0} s)[/]");
        return result;
    }

    async Task<PackageResult> PackageAsync(string artifactsDirectory, CancellationToken cancellationToken)
    {
        using var log = new StringWriter();
        return await new Packager(repositoryRoot, log).PackageAsync(Packager.HostArchitecture, artifactsDirectory, cancellationToken);
    }

    async Task<StackOutputs> ApplyAsync(string motoEndpoint, LocalArtifacts artifacts, TerraformProgress progress, CancellationToken cancellationToken)
    {
        var terraform = Terraform();
        await terraform.InitAsync(cancellationToken);
        await terraform.ApplyAsync(Variables(motoEndpoint, artifacts), progress, cancellationToken);
        return StackOutputs.From(await terraform.OutputsAsync(cancellationToken));
    }

    /// <summary>The one resource a stack without Terraform needs: the bucket, as infra/ names it by default.</summary>
    static async Task<StackOutputs> CreateBucketAsync(string motoEndpoint, CancellationToken cancellationToken)
    {
        var outputs = StackOutputs.WithoutTerraform;
        using var s3 = ImageVerifier.CreateClient(outputs.Region, motoEndpoint);
        await s3.PutBucketAsync(outputs.Bucket, cancellationToken);
        return outputs;
    }

    async Task<int> DestroyAsync(LocalStackStatus status, TerraformProgress progress, CancellationToken cancellationToken)
    {
        var terraform = Terraform();
        await terraform.DestroyAsync(Variables(status.S3Endpoint, new LocalArtifacts(state.RunDirectory)), progress, cancellationToken);
        return progress.Done;
    }

    static Dictionary<string, string> Variables(string motoEndpoint, LocalArtifacts artifacts) => new()
    {
        ["aws_endpoint_url"] = motoEndpoint,
        ["lambda_artifact_path"] = artifacts.LambdaZip,
        ["server_artifact_path"] = artifacts.ServerZip,
    };

    /// <summary>
    /// Stops processes last-started first, each only if it is still the one recorded; the servers
    /// behind a balancer together (each may wait out its stop grace).
    /// </summary>
    static async Task<int> StopAllAsync(IEnumerable<LocalProcess> processes)
    {
        var stopped = 0;
        var lastFirst = processes.Reverse().ToList();
        for (var i = 0; i < lastFirst.Count;)
        {
            var name = lastFirst[i].Name;
            var group = lastFirst.Skip(i).TakeWhile(p => p.Name == name).ToList();
            i += group.Count;
            stopped += (await Task.WhenAll(group.Select(p => StackProcess.StopAsync(p)))).Count(s => s);
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

    LocalTerraform Terraform() => new(InfraDirectory, state.TerraformDirectory, state.LogFile("terraform"));
}
