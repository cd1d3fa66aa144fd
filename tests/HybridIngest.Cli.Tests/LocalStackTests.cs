using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

// Three lanes of local stacks (below) beside the other tests.
[assembly: Xunit.v3.Parallelization(MaxThreads = 3)]

namespace HybridIngest.Cli.Tests;

/// <summary>
/// <c>hybrid local up|status|down</c> run as a user runs them: the built <c>hybrid</c> in its own
/// process, each test with its own state directory, against the real moto_server, server and local
/// Lambda host (up with --no-terraform: the walkthrough's test and the demo's apply infra/).
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed partial class LocalStackTests(PackagedArtifacts artifacts) : IDisposable
{
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-local-test").FullName;

    public void Dispose() => StackLeftovers.CleanUp(_stateDirectory);

    /// <summary>
    /// With --dashboard (the same stack, one more process): the invocation's whole trace is on the
    /// dashboard's page, found in a browser by its trace and request id.
    /// </summary>
    [Fact]
    public async Task UpServesTheFunctionToTheAwsCliAndItsTraceToTheDashboardAndDownLeavesNothingRunning()
    {
        await using var origin = await ImageOrigin.StartAsync();
        var imageUrl = origin.Serve("/sample.png", SampleImages.Png);

        var up = await HybridCli.RunAsync("local", "up", "--no-terraform", "--dashboard", "--state-dir", _stateDirectory, "--artifacts", artifacts.Directory);
        Assert.True(up.ExitCode == 0, up.Output);

        var statusRun = await HybridCli.RunAsync("local", "status", "--json", "--state-dir", _stateDirectory);
        Assert.True(statusRun.ExitCode == 0, statusRun.Output);
        var status = JsonSerializer.Deserialize(statusRun.StandardOutput, HybridIngestJsonContext.Default.LocalStackStatus)!;
        Assert.Equal(["moto", "dashboard", "server", "lambda-host"], status.Processes.Select(p => p.Name));
        Assert.Contains(status.DashboardUrl!, up.StandardOutput, StringComparison.Ordinal);
        Assert.All(status.Processes, p => Assert.True(p.Alive));
        Assert.False(status.TerraformApplied);
        Assert.Contains("not applied (--no-terraform)", up.StandardOutput, StringComparison.Ordinal);

        // The real AWS CLI against the lambda_endpoint that status printed.
        var stored = await InvokeWithAwsCliAsync(status, imageUrl);
        using (var s3 = S3Client(status))
        {
            using var response = await s3.GetObjectAsync(status.Bucket, stored.Key);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes);
            Assert.Equal(SampleImages.Png.Bytes, bytes.ToArray());
        }

        // One trace: the function's span, the server's request and its download and S3 write.
        string[] spans = ["invocation", "POST /process-image", "download", "s3.put_object"];
        var traceId = await DashboardTraces.TraceIdAsync(status.DashboardUrl!, stored.RequestId!, spans);
        var screenshot = await DashboardTraces.ShowTraceAsync(status.DashboardUrl!, traceId, stored.RequestId!, spans);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, screenshot[..4]);

        var down = await HybridCli.RunAsync("local", "down", "--state-dir", _stateDirectory);
        Assert.True(down.ExitCode == 0, down.Output);
        // --no-terraform: Terraform never ran, not even for the teardown.
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "logs", "terraform.log")), "terraform ran");
        Assert.Empty(StackLeftovers.AliveOf(status));
        Assert.All(status.Processes, p => Assert.True(StackLeftovers.PortIsFree(p.Port), $"port {p.Port} of {p.Name} is still taken"));
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
    }

    [Fact]
    public async Task UpThatCannotStartTheServerStopsWhatItHadStartedAndSaysWhereTheLogsAre()
    {
        // A copy of the packages (up to date, so up does not republish) whose server.zip holds a
        // server that exits at once: by then up has started moto_server (and created the bucket).
        // Not the packaging lock, which another test project's packaging may hold meanwhile.
        var broken = Directory.CreateTempSubdirectory("hybrid-broken-artifacts").FullName;
        try
        {
            foreach (var file in Directory.EnumerateFiles(artifacts.Directory, "*", SearchOption.AllDirectories)
                .Where(file => file != Packager.LockPath(RepositoryLayout.Root)))
            {
                var copy = Path.Combine(broken, Path.GetRelativePath(artifacts.Directory, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }
            var script = Directory.CreateDirectory(Path.Combine(broken, "broken-server")).FullName;
            File.WriteAllText(Path.Combine(script, Packager.ServerExecutableName), "#!/bin/sh\necho 'this server is broken on purpose' >&2\nexit 3\n");
            Packager.Zip(script, Path.Combine(broken, "server.zip"), Packager.ServerExecutableName);

            var up = await HybridCli.RunAsync("local", "up", "--no-terraform", "--state-dir", _stateDirectory, "--artifacts", broken);

            Assert.True(up.ExitCode == (int)ExitCode.Error, up.Output);
            Assert.Contains("Starting the local stack failed: stopping the 1 process(es) it started.", up.Output, StringComparison.Ordinal);
            var logs = Path.Combine(_stateDirectory, "logs");
            Assert.Contains($"The local stack did not start, and what it had started is stopped: ", up.StandardError, StringComparison.Ordinal);
            Assert.Contains($"(logs: {logs})", up.StandardError, StringComparison.Ordinal);
            Assert.Contains("this server is broken on purpose", File.ReadAllText(Path.Combine(logs, "server.log")), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", up.Output, StringComparison.Ordinal);
            var moto = int.Parse(MotoPort().Match(up.Output).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(StackLeftovers.PortIsFree(moto), $"moto_server's port {moto} is still taken");
            Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }

    [GeneratedRegex(@"moto_server on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex MotoPort();

    [Fact]
    public async Task UpRefusesWhileAStackIsRecordedAndStartsNothing()
    {
        var recorded = RecordedStack.With();
        new LocalState(_stateDirectory).Save(recorded);
        var before = File.ReadAllText(Path.Combine(_stateDirectory, "state.json"));

        var up = await HybridCli.RunAsync("local", "up", "--state-dir", _stateDirectory, "--artifacts", artifacts.Directory);

        Assert.Equal((int)ExitCode.Usage, up.ExitCode);
        Assert.Contains("already up", up.StandardError, StringComparison.Ordinal);
        Assert.Contains("hybrid local down", up.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(_stateDirectory, "state.json")));
        Assert.False(Directory.Exists(Path.Combine(_stateDirectory, "logs")), "up started something");
    }

    [Fact]
    public async Task DownWithNothingUpSaysSo()
    {
        var down = await HybridCli.RunAsync("local", "down", "--state-dir", _stateDirectory);

        Assert.Equal(0, down.ExitCode);
        Assert.Contains("No local stack is up", down.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusWithNothingUpSaysSoAndFails()
    {
        var status = await HybridCli.RunAsync("local", "status", "--json", "--state-dir", _stateDirectory);

        Assert.Equal((int)ExitCode.CheckFailed, status.ExitCode);
        Assert.Equal("", status.StandardOutput);
        Assert.Contains("no local stack is up", status.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusReportsAProcessThatIsGone()
    {
        await using var exited = ChildProcess.Start(CliWrap.Cli.Wrap("true"));
        await exited.Exited;
        new LocalState(_stateDirectory).Save(RecordedStack.With(new LocalProcess
        {
            Name = "server",
            Pid = exited.Id,
            Port = 2,
            ProcessStartedAt = DateTimeOffset.UnixEpoch,
            ProcessStartTicks = 1,
            CommandLine = "true",
            LogFile = "/dev/null",
        }));

        var status = await HybridCli.RunAsync("local", "status", "--json", "--state-dir", _stateDirectory);

        Assert.Equal((int)ExitCode.CheckFailed, status.ExitCode);
        var reported = JsonSerializer.Deserialize(status.StandardOutput, HybridIngestJsonContext.Default.LocalStackStatus)!;
        Assert.False(Assert.Single(reported.Processes).Alive);
    }

    async Task<ProcessImageResponse> InvokeWithAwsCliAsync(LocalStackStatus status, Uri imageUrl)
    {
        var eventFile = Path.Combine(_stateDirectory, "event.json");
        var outFile = Path.Combine(_stateDirectory, "out.json");
        await File.WriteAllTextAsync(eventFile, $$"""{"image_url": "{{imageUrl}}"}""");
        var aws = await ExternalProcess.RunAsync(
            "aws",
            ["lambda", "invoke", "--region", status.Region, "--endpoint-url", status.LambdaEndpoint,
             "--function-name", status.FunctionName, "--payload", $"fileb://{eventFile}", outFile],
            new Dictionary<string, string?>
            {
                ["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId,
                ["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey,
                ["AWS_SESSION_TOKEN"] = null,
                ["AWS_PROFILE"] = null,
            });
        Assert.True(aws.ExitCode == 0, aws.Output);

        var response = JsonSerializer.Deserialize(await File.ReadAllTextAsync(outFile), HybridIngestJsonContext.Default.FunctionResponse)!;
        Assert.True(response.StatusCode == 200, response.Body);
        var body = JsonSerializer.Deserialize(response.Body, HybridIngestJsonContext.Default.FunctionResponseBody)!;
        return body.Result!.Value.Deserialize(HybridIngestJsonContext.Default.ProcessImageResponse)!;
    }

    static AmazonS3Client S3Client(LocalStackStatus status) => EmulatorS3.CreateClient(status.S3Endpoint, status.Region);
}

/// <summary>
/// The tests that bring a whole local stack up run in three collections, which xunit runs side by
/// side (three threads for this assembly): a stack spends much of its time waiting (Terraform's
/// provider polls moto), so the applies of three lanes overlap their waits. Each test has its own
/// state directory, ports and moto_server. The lanes are balanced by the time their tests took (CI on
/// 2 cores, 2026-12-02, commit c0bec8b, two lanes then): this one ReadmeWalkthroughTests 2.8 min (it
/// applies infra/), LocalInvokeTests 0.4 and LocalStackTests 0.6; the demo's lane DemoTests 3.5 and
/// LabClientsTests 0.6; the interrupted demo's lane InterruptedDemoTests 2.5 (it applies infra/),
/// ServerFleetTests 1.2 and CommandsOnLocalStackTests 0.5 (the --no-terraform stacks take seconds,
/// the applies minutes).
/// </summary>
[CollectionDefinition(Name)]
public sealed class LocalStackCollection : ICollectionFixture<PackagedArtifacts>
{
    public const string Name = "local stack";
}

/// <summary>The second lane: the demo's full run and the lab clients' test.</summary>
[CollectionDefinition(Name)]
public sealed class DemoCollection : ICollectionFixture<PackagedArtifacts>
{
    public const string Name = "demo";
}

/// <summary>The third lane: the interrupted demo, the server fleet and the commands on a local stack.</summary>
[CollectionDefinition(Name)]
public sealed class InterruptedDemoCollection : ICollectionFixture<PackagedArtifacts>
{
    public const string Name = "interrupted demo";
}

/// <summary>
/// lambda.zip and server.zip, packaged by the real <see cref="Packager"/> into
/// <see cref="RepositoryLayout.TestArtifacts"/> once for the whole test run, however many collections use them.
/// </summary>
public sealed class PackagedArtifacts : IAsyncLifetime
{
    static readonly Lazy<Task<PackageResult>> Packaged = new(() =>
        new Packager(RepositoryLayout.Root, TextWriter.Null).PackageAsync(Packager.HostArchitecture, RepositoryLayout.TestArtifacts, CancellationToken.None));

    public string Directory => RepositoryLayout.TestArtifacts;

    public ValueTask InitializeAsync() => new(Packaged.Value);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// A stack test's own state directory and bench output folder; disposing it stops whatever the stack
/// left running and removes both.
/// </summary>
public sealed class StackDirectories(string name) : IDisposable
{
    public string State { get; } = Directory.CreateTempSubdirectory($"hybrid-{name}-test").FullName;
    public string BenchOutput { get; } = Directory.CreateTempSubdirectory($"hybrid-{name}-bench").FullName;

    public void Dispose()
    {
        StackLeftovers.CleanUp(State);
        Directory.Delete(BenchOutput, recursive: true);
    }
}

/// <summary>The built <c>hybrid</c> command, run the way a user runs it, from the repository root.</summary>
public static class HybridCli
{
    static string Assembly => Path.Combine(AppContext.BaseDirectory, "hybrid.dll");

    public static Task<ProcessRun> RunAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [Assembly, .. arguments], Environment());

    /// <summary>Runs <c>hybrid</c> with <paramref name="environment"/> on top of the usual one (dotnet found on this process's PATH, whatever the child's is).</summary>
    public static Task<ProcessRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var combined = Environment();
        foreach (var (name, value) in environment)
        {
            combined[name] = value;
        }
        return ExternalProcess.RunAsync(Dotnet, [Assembly, .. arguments], combined);
    }

    static string Dotnet => (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(directory => Path.Combine(directory, "dotnet")).First(File.Exists);

    /// <summary>Starts <c>hybrid</c>, each line it prints (stdout and stderr) going to <paramref name="printed"/> (for tests that signal it mid-run).</summary>
    public static ChildProcess Start(ConcurrentQueue<string> printed, params string[] arguments) => Start(printed.Enqueue, arguments);

    /// <summary>Starts <c>hybrid</c>, passing each line it prints (stdout and stderr) to <paramref name="printed"/> as it comes.</summary>
    public static ChildProcess Start(Action<string> printed, params string[] arguments) => ChildProcess.Start(
        CliWrap.Cli.Wrap("dotnet").WithArguments([Assembly, .. arguments]).WithWorkingDirectory(RepositoryLayout.Root).WithEnvironmentVariables(Environment()),
        printed);

    /// <summary>
    /// Writes an executable <c>hybrid</c> into <paramref name="directory"/> that runs the built command,
    /// so that a shell with that directory on PATH finds <c>hybrid</c> as a user who installed the tool does.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static void WriteCommand(string directory)
    {
        var command = Path.Combine(directory, "hybrid");
        File.WriteAllText(command, $"#!/bin/sh\nexec '{Dotnet}' '{Assembly}' \"$@\"\n");
        File.SetUnixFileMode(command, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    // A wide console, so that Spectre.Console does not wrap the lines the tests look for.
    static Dictionary<string, string?> Environment() => new() { ["COLUMNS"] = "240", ["DOTNET_NOLOGO"] = "1" };
}

/// <summary>A recorded stack whose endpoints serve nothing: for what commands do with the state file alone.</summary>
public static class RecordedStack
{
    public static LocalStackStatus With(params LocalProcess[] processes) => new()
    {
        LambdaEndpoint = "http://127.0.0.1:1",
        FunctionName = "f",
        ServerUrl = "http://127.0.0.1:2",
        S3Endpoint = "http://127.0.0.1:3",
        Bucket = "b",
        Region = "us-east-1",
        StartedAt = DateTimeOffset.UtcNow,
        Processes = processes,
    };
}

/// <summary>What a local stack left running, and the clean-up after a failed test.</summary>
public static class StackLeftovers
{
    /// <summary>
    /// The processes of a recorded stack still running: each recorded process that is still the
    /// one started, and anything left in their process groups (the Lambda host's bootstraps are in
    /// its group). Reads only /proc/PID/stat: reading other processes' cmdline or environ can block
    /// for many seconds while they map large files (a Terraform provider is 700 MB).
    /// </summary>
    public static IReadOnlyList<int> AliveOf(LocalStackStatus status)
    {
        var alive = status.Processes
            .Where(p => StackProcess.IsAlive(p))
            .Select(p => p.Pid)
            .ToList();
        return [.. alive.Union(DetachedProcess.LiveMembersOf(status.Processes.Select(p => p.Pid).ToHashSet()))];
    }

    /// <summary>
    /// The stack a running <c>hybrid</c> records once it is up; null when the command ends first.
    /// Polls the state file: the command runs in its own process.
    /// </summary>
    public static async Task<LocalStackStatus?> WaitForStackAsync(string stateDirectory, ChildProcess command)
    {
        var state = new LocalState(stateDirectory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (!command.Exited.IsCompleted)
        {
            if (File.Exists(state.StateFile) && state.Load() is { } status)
            {
                return status;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
        return null;
    }

    public static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>After a failed test: the CLI's own down, then a kill of whatever is still left, then the directory.</summary>
    public static void CleanUp(string stateDirectory)
    {
        if (new LocalState(stateDirectory).Load() is { } status)
        {
            HybridCli.RunAsync("local", "down", "--state-dir", stateDirectory).GetAwaiter().GetResult();
            foreach (var pid in AliveOf(status))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }
        System.IO.Directory.Delete(stateDirectory, recursive: true);
    }
}
