using System.Threading.Channels;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// <c>hybrid local logs</c>, the built command in its own process, on a recorded stack whose log
/// files this test writes (the whole-stack test in <see cref="CommandsOnLocalStackTests"/> reads real ones).
/// </summary>
public sealed class LocalLogsTests : IDisposable
{
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-logs-test").FullName;

    public void Dispose() => Directory.Delete(_stateDirectory, recursive: true);

    string Log(string name, string text)
    {
        var file = Path.Combine(_stateDirectory, "logs", $"{name}.log");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
        return file;
    }

    void RecordStack(params string[] names) => new LocalState(_stateDirectory).Save(RecordedStack.With([.. names.Select(name => new LocalProcess
    {
        Name = name,
        Pid = 1,
        Port = 1,
        ProcessStartedAt = DateTimeOffset.UnixEpoch,
        ProcessStartTicks = 1,
        CommandLine = name,
        LogFile = Log(name, $"{name} line 1\n{name} line 2\n"),
    })]));

    Task<ProcessRun> Hybrid(params string[] arguments) => HybridCli.RunAsync(["local", "logs", .. arguments, "--state-dir", _stateDirectory]);

    [Fact]
    public async Task PrintsTheLogOfTheNamedProcess()
    {
        RecordStack(LocalMotoProcess.Name, LocalServerProcess.Name, LocalLambdaHostProcess.Name);

        var run = await Hybrid("server");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("server line 1\nserver line 2\n", run.StandardOutput);
    }

    [Fact]
    public async Task FunctionAndHostAreTheLambdaHostsLogWithItsLastLineEvenWithoutANewline()
    {
        RecordStack(LocalMotoProcess.Name, LocalServerProcess.Name, LocalLambdaHostProcess.Name);
        Log(LocalLambdaHostProcess.Name, "START RequestId: r1\nREPORT RequestId: r1\tDuration: 3.00 ms");

        var function = await Hybrid("function");
        var host = await Hybrid("host");

        Assert.True(function.ExitCode == 0, function.Output);
        Assert.Equal("START RequestId: r1\nREPORT RequestId: r1\tDuration: 3.00 ms\n", function.StandardOutput);
        Assert.Equal(function.StandardOutput, host.StandardOutput);
    }

    [Fact]
    public async Task WithoutANamePrintsEveryLogWithItsProcessInFront()
    {
        RecordStack(LocalMotoProcess.Name, LocalLambdaHostProcess.Name);

        var run = await Hybrid();

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(
            "moto        | moto line 1\nmoto        | moto line 2\nlambda-host | lambda-host line 1\nlambda-host | lambda-host line 2\n",
            run.StandardOutput);
    }

    [Fact]
    public async Task ServerPrintsEveryServerBehindTheBalancerEachWithItsPort()
    {
        RecordStack(LocalMotoProcess.Name, LocalServerProcess.Name, LocalBalancerProcess.Name, LocalLambdaHostProcess.Name);
        var second = new LocalProcess
        {
            Name = LocalServerProcess.Name,
            Pid = 2,
            Port = 2,
            ProcessStartedAt = DateTimeOffset.UnixEpoch,
            ProcessStartTicks = 2,
            CommandLine = LocalServerProcess.Name,
            LogFile = Log("server-2", "second server line\n"),
        };
        var state = new LocalState(_stateDirectory);
        state.Save(state.Load()! with { Processes = [.. state.Load()!.Processes, second] });

        var servers = await Hybrid("server");
        var balancer = await Hybrid("balancer");

        Assert.True(servers.ExitCode == 0, servers.Output);
        Assert.Equal("server-1 | server line 1\nserver-1 | server line 2\nserver-2 | second server line\n", servers.StandardOutput);
        Assert.True(balancer.ExitCode == 0, balancer.Output);
        Assert.Equal("balancer line 1\nbalancer line 2\n", balancer.StandardOutput);
    }

    [Fact]
    public async Task SaysNothingIsUp()
    {
        var run = await Hybrid("server");

        Assert.True(run.ExitCode == (int)ExitCode.Usage, run.Output);
        Assert.Contains("no local stack is up", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("hybrid local up", run.StandardError, StringComparison.Ordinal);
        Assert.Equal("", run.StandardOutput);
    }

    [Fact]
    public async Task SaysTheStackHasNoServerWhenUpWasGivenOne()
    {
        RecordStack(LocalMotoProcess.Name, LocalLambdaHostProcess.Name);

        var run = await Hybrid("server");

        Assert.True(run.ExitCode == (int)ExitCode.Usage, run.Output);
        Assert.Contains("no server process", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("--server-url", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAnUnknownProcess()
    {
        var run = await Hybrid("database");

        Assert.True(run.ExitCode == (int)ExitCode.Usage, run.Output);
        Assert.Contains("database", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FollowPrintsNewLinesAsTheyComeUntilTheStackGoesDown()
    {
        RecordStack(LocalServerProcess.Name);
        var log = Path.Combine(_stateDirectory, "logs", "server.log");
        var printed = Channel.CreateUnbounded<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var follow = HybridCli.Start(line => printed.Writer.TryWrite(line), "local", "logs", "server", "-f", "--state-dir", _stateDirectory);

        Assert.Equal("server line 1", await printed.Reader.ReadAsync(timeout.Token));
        Assert.Equal("server line 2", await printed.Reader.ReadAsync(timeout.Token));

        File.AppendAllText(log, "written later, ");
        File.AppendAllText(log, "in two writes\n");
        Assert.Equal("written later, in two writes", await printed.Reader.ReadAsync(timeout.Token));

        File.Delete(new LocalState(_stateDirectory).StateFile);
        Assert.Equal(0, await follow.Exited.WaitAsync(timeout.Token));
        Assert.Contains("the local stack is down", await printed.Reader.ReadAsync(timeout.Token), StringComparison.Ordinal);
    }
}
