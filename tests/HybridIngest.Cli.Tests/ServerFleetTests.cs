using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// <c>local up --servers 2</c>: two packaged servers behind the local balancer, the function calling
/// the balancer; <c>local restart-servers</c> while invocations flow through the real invoke path
/// (Invoke API → local Lambda host → bootstrap → balancer → servers → moto); then one server killed
/// with SIGKILL. One stack for all of it: bringing one up takes minutes.
/// </summary>
[Collection(InterruptedDemoCollection.Name)]
public sealed class ServerFleetTests(PackagedArtifacts artifacts) : IDisposable
{
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-fleet-test").FullName;

    public void Dispose() => StackLeftovers.CleanUp(_stateDirectory);

    [Fact]
    public async Task RestartingTheServersUnderLoadFailsNoInvocationAndAKilledServerFailsOnlyWhatItHadInFlight()
    {
        await using var origin = await ImageOrigin.StartAsync();
        var png = origin.Serve("/sample.png", SampleImages.Png).ToString();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = origin.Serve("/held.png", OriginResponse.Image(SampleImages.Png) with { BeforeResponse = ct => release.Task.WaitAsync(ct) }).ToString();

        var up = await Hybrid("local", "up", "--no-terraform", "--artifacts", artifacts.Directory, "--servers", "2");
        Assert.True(up.ExitCode == 0, up.Output);
        try
        {
            var before = await StatusAsync();
            Assert.Equal(["moto", "server", "server", "balancer", "lambda-host"], before.Processes.Select(p => p.Name));
            var balancer = before.Processes.Single(p => p.Name == LocalBalancerProcess.Name);
            Assert.Equal(StackProcess.Endpoint(balancer), before.ServerUrl);
            Assert.Contains("the balancer in front of 2 servers", (await Hybrid("local", "status")).StandardOutput, StringComparison.Ordinal);
            using var http = LambdaInvoker.CreateHttpClient();
            var invoker = new LambdaInvoker(http, new Uri(before.LambdaEndpoint), before.Region, new BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey));

            // 1. Rolling restart while four callers invoke without pause.
            var load = new Load(invoker, before.FunctionName, png);
            await load.WaitForAsync(8);
            var restart = await Hybrid("local", "restart-servers");
            Assert.True(restart.ExitCode == 0, restart.Output + LogTails());
            await load.WaitForAsync(load.Count + 8);
            var answers = await load.StopAsync();

            Assert.True(answers.All(a => a.Succeeded), string.Join('\n', answers.Where(a => !a.Succeeded).Select(a => $"{a.Error}: {a.ErrorMessage}")) + LogTails());
            var after = await StatusAsync();
            var (oldServers, newServers) = (Servers(before), Servers(after));
            Assert.Equal(2, newServers.Count);
            Assert.Empty(oldServers.Select(s => s.Pid).Intersect(newServers.Select(s => s.Pid)));
            Assert.All(after.Processes, p => Assert.True(p.Alive, $"{p.Name} pid {p.Pid} is gone"));
            Assert.Empty(StackLeftovers.AliveOf(before with { Processes = oldServers }));
            Assert.Equal(newServers.Select(StackProcess.Endpoint).Order(StringComparer.Ordinal),
                (await LocalBalancer.GetTargetsAsync(http, before.ServerUrl, CancellationToken.None)).Select(t => t.Address).Order(StringComparer.Ordinal));
            new StoredImagesStore(new LocalState(_stateDirectory)).Save(new StoredImagesFile
            {
                Source = "bench",
                CreatedAt = DateTimeOffset.UtcNow,
                Region = after.Region,
                S3Endpoint = after.S3Endpoint,
                Images = [.. answers.Select(a => StoredImagesStore.From(a.Stored!, png))],
            });
            var verify = await Hybrid("verify");
            Assert.True(verify.ExitCode == 0, verify.Output);
            Assert.Contains($"All {answers.Count} object(s)", verify.StandardOutput, StringComparison.Ordinal);

            // 2. SIGKILL to the server with the most requests in flight: only those fail.
            var inFlight = Enumerable.Range(0, 4).Select(_ => InvokeAsync(invoker, after.FunctionName, held)).ToList();
            var working = await InProgressAsync(http, newServers, total: 4);
            var (victim, lost) = newServers.Zip(working).MaxBy(s => s.Second);
            Signals.Send(victim.Pid, Signals.Kill);
            var duringDetection = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => InvokeAsync(invoker, after.FunctionName, png)));
            await WaitUntilUnhealthyAsync(http, before.ServerUrl, StackProcess.Endpoint(victim));
            var afterDetection = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => InvokeAsync(invoker, after.FunctionName, png)));
            release.SetResult();
            var held4 = await Task.WhenAll(inFlight);

            Assert.All(duringDetection.Concat(afterDetection), a => Assert.True(a.Succeeded, $"{a.Error}: {a.ErrorMessage}"));
            Assert.Equal(lost, held4.Count(a => !a.Succeeded));
            Assert.Equal(4 - lost, held4.Count(a => a.Succeeded));
            var status = await Hybrid("local", "status", "--json");
            Assert.Equal((int)ExitCode.CheckFailed, status.ExitCode);
            Assert.False(JsonSerializer.Deserialize(status.StandardOutput, HybridIngestJsonContext.Default.LocalStackStatus)!.Processes.Single(p => p.Pid == victim.Pid).Alive);
        }
        finally
        {
            var down = await Hybrid("local", "down");
            Assert.True(down.ExitCode == 0, down.Output);
        }
    }

    /// <summary>The end of each log of the stack, for a failure's message (the state directory goes with the test).</summary>
    string LogTails() => string.Concat(Directory.EnumerateFiles(Path.Combine(_stateDirectory, "logs")).Where(f => !f.EndsWith("terraform.log", StringComparison.Ordinal))
        .Select(f => $"\n--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(15))}"));

    static List<LocalProcess> Servers(LocalStackStatus status) => [.. status.Processes.Where(p => p.Name == LocalServerProcess.Name)];

    async Task<LocalStackStatus> StatusAsync()
    {
        var run = await Hybrid("local", "status", "--json");
        Assert.True(run.ExitCode == 0, run.Output);
        return JsonSerializer.Deserialize(run.StandardOutput, HybridIngestJsonContext.Default.LocalStackStatus)!;
    }

    static async Task<FunctionAnswer> InvokeAsync(LambdaInvoker invoker, string functionName, string imageUrl) =>
        FunctionAnswer.Read(await invoker.InvokeAsync(functionName, JsonSerializer.SerializeToUtf8Bytes(new FunctionEvent(imageUrl), HybridIngestJsonContext.Default.FunctionEvent), tailLog: false, CancellationToken.None));

    /// <summary>Each server's requests in progress (its /ready's admission), once they add up to <paramref name="total"/>.</summary>
    static async Task<int[]> InProgressAsync(HttpClient http, IReadOnlyList<LocalProcess> servers, int total)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var counts = await Task.WhenAll(servers.Select(async s =>
                (await http.GetFromJsonAsync($"{StackProcess.Endpoint(s)}/ready", HybridIngestJsonContext.Default.HealthResponse, timeout.Token))!.Admission!.InProgress));
            if (counts.Sum() == total)
            {
                return counts;
            }
            await Task.Delay(50, timeout.Token);
        }
    }

    static async Task WaitUntilUnhealthyAsync(HttpClient http, string balancer, string target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await LocalBalancer.GetTargetsAsync(http, balancer, timeout.Token)).Single(t => t.Address == target).Health != "unhealthy")
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    Task<ProcessRun> Hybrid(params string[] arguments) => HybridCli.RunAsync([.. arguments, "--state-dir", _stateDirectory]);

    /// <summary>Four callers invoking the function one after another until stopped; every answer kept.</summary>
    sealed class Load
    {
        readonly List<FunctionAnswer> _answers = [];
        readonly CancellationTokenSource _stop = new();
        readonly Task[] _callers;

        public Load(LambdaInvoker invoker, string functionName, string imageUrl) =>
            _callers = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var answer = await InvokeAsync(invoker, functionName, imageUrl);
                    lock (_answers)
                    {
                        _answers.Add(answer);
                    }
                }
            }))];

        public int Count
        {
            get
            {
                lock (_answers)
                {
                    return _answers.Count;
                }
            }
        }

        /// <summary>Returns once <paramref name="count"/> invocations have been answered (polls; fails after 2 minutes).</summary>
        public async Task WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (Count < count)
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        public async Task<IReadOnlyList<FunctionAnswer>> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_callers);
            lock (_answers)
            {
                return [.. _answers];
            }
        }
    }
}
