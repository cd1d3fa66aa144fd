using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>What <c>local up</c> may change about the stack it starts.</summary>
/// <param name="ArtifactsDirectory">Where the packages are (packaged there first when missing or older than the sources).</param>
/// <param name="MaxConcurrency">Most execution environments the local Lambda host runs at once.</param>
/// <param name="ServerUrl">A server of the user's (the lab's Flask server, an EC2 instance) that the function calls instead of one <c>up</c> starts.</param>
public sealed record LocalUpOptions(string ArtifactsDirectory, int MaxConcurrency, Uri? ServerUrl = null);

/// <summary>
/// The whole system on this machine: moto_server, the repository's infra/ module applied to it, the
/// server from its package, and the function under the local Lambda host. Every process is started
/// detached (it outlives the command) and recorded in <see cref="LocalState"/>; <c>down</c> stops
/// exactly those. This class orders the steps; each process is one class in Local/
/// (<see cref="LocalMotoProcess"/>, <see cref="LocalServerProcess"/>, <see cref="LocalLambdaHostProcess"/>).
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
        RequireTools(options);
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

            var outputs = await StepAsync("Applying infra/ to moto_server (terraform init + apply)",
                () => ApplyAsync(motoEndpoint, artifacts, cancellationToken),
                o => $"applied: function {o.FunctionName}, bucket {o.Bucket} ({o.Region})");

            string serverUrl;
            if (options.ServerUrl is { } external)
            {
                serverUrl = external.OriginalString;
                console.MarkupLineInterpolated($"[green]✓[/] no server started: the function calls {serverUrl} (--server-url)");
            }
            else
            {
                var server = await StepAsync("Starting the server from server.zip",
                    () => LocalServerProcess.StartAsync(state, artifacts, outputs, motoEndpoint, cancellationToken),
                    s => $"server on {StackProcess.Endpoint(s)}, ready (INGEST_ALLOWED_PRIVATE_CIDRS={LocalServerProcess.AllowedPrivateCidrs}: it may download from origins on this machine)");
                started.Add(server);
                serverUrl = StackProcess.Endpoint(server);
            }

            var host = await StepAsync("Starting the local Lambda host with lambda.zip",
                () => LocalLambdaHostProcess.StartAsync(state, artifacts, outputs, serverUrl, options.MaxConcurrency, cancellationToken),
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
        var moto = status.Processes.FirstOrDefault(p => p.Name == LocalMotoProcess.Name);
        Exception? destroyFailure = null;
        if (destroy && moto is not null && StackProcess.IsAlive(moto) && Terraform().HasState)
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
        ? status with { Processes = [.. status.Processes.Select(p => p with { Alive = StackProcess.IsAlive(p) })] }
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
        await terraform.DestroyAsync(Variables(status.S3Endpoint, new LocalArtifacts(state.RunDirectory)), cancellationToken);
        return 0;
    }

    static Dictionary<string, string> Variables(string motoEndpoint, LocalArtifacts artifacts) => new()
    {
        ["aws_endpoint_url"] = motoEndpoint,
        ["lambda_artifact_path"] = artifacts.LambdaZip,
        ["server_artifact_path"] = artifacts.ServerZip,
    };

    /// <summary>Stops processes last-started first, each only if it is still the one recorded.</summary>
    static async Task<int> StopAllAsync(IEnumerable<LocalProcess> processes)
    {
        var stopped = 0;
        foreach (var process in processes.Reverse())
        {
            if (await StackProcess.StopAsync(process))
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

    LocalTerraform Terraform() => new(InfraDirectory, state.TerraformDirectory, state.LogFile("terraform"));
}
