using System.Collections.Concurrent;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary><c>hybrid demo</c> end to end, as in the README's quick start (with a smaller bench).</summary>
[Collection(DemoCollection.Name)]
public sealed class DemoTests(PackagedArtifacts artifacts) : IDisposable
{
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-demo-test").FullName;
    readonly string _benchOutput = Directory.CreateTempSubdirectory("hybrid-demo-bench").FullName;

    public void Dispose()
    {
        StackLeftovers.CleanUp(_stateDirectory);
        Directory.Delete(_benchOutput, recursive: true);
    }

    [Fact]
    public async Task StoresEverySampleBenchesVerifiesReportsAndTearsDown()
    {
        var lines = new ConcurrentQueue<string>();
        await using var demo = HybridCli.Start(lines,
            "demo", "--state-dir", _stateDirectory, "--artifacts", artifacts.Directory,
            "--requests", "20", "--concurrency", "1,4", "--output", _benchOutput);

        var stack = await StackLeftovers.WaitForStackAsync(_stateDirectory, demo);
        var exitCode = await demo.Exited;
        var printed = string.Join(Environment.NewLine, lines);

        Assert.True(exitCode == 0, $"exit code {exitCode}{Environment.NewLine}{printed}");
        Assert.NotNull(stack);
        Assert.Contains("4 of 4 sample images stored", printed, StringComparison.Ordinal);
        foreach (var (type, extension) in new[] { ("jpeg", "jpg"), ("png", "png"), ("gif", "gif"), ("webp", "webp") })
        {
            Assert.Contains($"image/{type}", printed, StringComparison.Ordinal);
            Assert.Matches($@"{type}: images/[0-9a-f-]+\.{extension}", printed);
        }
        Assert.Contains("all 44 stored objects are in S3", printed, StringComparison.Ordinal);
        Assert.Contains("Demo passed", printed, StringComparison.Ordinal);

        var results = Assert.Single(Directory.GetDirectories(_benchOutput));
        Assert.Contains(Path.GetFileName(results), printed, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(results, BenchOutputs.ResultsJson)));
        Assert.True(File.Exists(Path.Combine(results, BenchOutputs.LatencyDistributionPng)));

        // The demo shows the teardown as on AWS: terraform destroy, then the processes stopped.
        Assert.Contains("$ terraform destroy", File.ReadAllText(Path.Combine(_stateDirectory, "logs", "terraform.log")), StringComparison.Ordinal);
        Assert.Empty(StackLeftovers.AliveOf(stack));
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
    }

    [Fact]
    public async Task TearsDownOnCtrlC()
    {
        var lines = new ConcurrentQueue<string>();
        await using var demo = HybridCli.Start(lines,
            "demo", "--state-dir", _stateDirectory, "--artifacts", artifacts.Directory, "--output", _benchOutput);

        // Interrupted once the whole stack is up, which is when the most is running.
        var stack = await StackLeftovers.WaitForStackAsync(_stateDirectory, demo);
        if (stack is null)
        {
            await demo.Exited;
            Assert.Fail($"The demo ended before its stack was up:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        }
        Assert.NotEmpty(StackLeftovers.AliveOf(stack));
        Signals.Send(demo.Id, Signals.Interrupt);
        var exitCode = await demo.Exited;
        var printed = string.Join(Environment.NewLine, lines);

        Assert.True(exitCode == (int)ExitCode.Cancelled, $"exit code {exitCode}{Environment.NewLine}{printed}");
        Assert.Contains("everything the demo started is stopped", printed, StringComparison.Ordinal);
        Assert.Empty(StackLeftovers.AliveOf(stack));
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
    }
}
