using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// <c>hybrid invoke</c> (and <c>--json</c>), <c>bench</c>, <c>verify</c> and <c>local logs</c> run as a user runs them (the built command in
/// its own process) against a real local stack: moto_server, the packaged server and the local Lambda
/// host with the packaged bootstrap. Up with --no-terraform: these commands read the stack's state,
/// not Terraform's (the walkthrough and the demo apply infra/).
/// </summary>
[Collection(InterruptedDemoCollection.Name)]
public sealed class CommandsOnLocalStackTests(PackagedArtifacts artifacts) : IDisposable
{
    readonly StackDirectories _directories = new("commands");

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task InvokeBenchAndVerifyWorkOnTheLocalStackAndVerifyCatchesAMissingObject()
    {
        await using var origin = await ImageOrigin.StartAsync();
        var png = origin.Serve("/sample.png", SampleImages.Png).ToString();
        var missing = new Uri(new Uri(png), "/missing.png").ToString();

        var up = await HybridCli.RunAsync("local", "up", "--no-terraform", "--state-dir", _directories.State, "--artifacts", artifacts.Directory);
        Assert.True(up.ExitCode == 0, up.Output);
        try
        {
            var invoke = await Hybrid("invoke", "--url", png);
            Assert.True(invoke.ExitCode == 0, invoke.Output);
            Assert.Contains("lambda_ec2_call_time_ms", invoke.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("image/png", invoke.StandardOutput, StringComparison.Ordinal);

            var json = await Hybrid("invoke", "--json", "--url", png);
            Assert.True(json.ExitCode == 0, json.Output);
            var answer = JsonSerializer.Deserialize(json.StandardOutput, HybridIngestJsonContext.Default.InvokeResult)!;
            Assert.True(answer.Succeeded, json.Output);
            Assert.Equal("image/png", answer.Result!.ContentType);

            // The host writes START before it hands the invocation to the bootstrap, so it is in the log by now.
            var functionLog = await Hybrid("local", "logs", "function");
            Assert.True(functionLog.ExitCode == 0, functionLog.Output);
            Assert.Contains("Local Lambda host listening on", functionLog.StandardOutput, StringComparison.Ordinal);
            Assert.Contains($"START RequestId: {answer.RequestId}", functionLog.StandardOutput, StringComparison.Ordinal);
            var allLogs = await Hybrid("local", "logs");
            Assert.True(allLogs.ExitCode == 0, allLogs.Output);
            Assert.Contains($"lambda-host | START RequestId: {answer.RequestId}", allLogs.StandardOutput, StringComparison.Ordinal);

            var verifyOne = await Hybrid("verify");
            Assert.True(verifyOne.ExitCode == 0, verifyOne.Output);
            Assert.Contains("All 1 object(s)", verifyOne.StandardOutput, StringComparison.Ordinal);

            var failing = await Hybrid("invoke", "--url", missing);
            Assert.True(failing.ExitCode == (int)ExitCode.CheckFailed, failing.Output);
            Assert.Contains(ErrorCodes.DownloadFailed, failing.StandardOutput, StringComparison.Ordinal);

            var bench = await Hybrid("bench", "--url", png, "--requests", "8", "--concurrency", "1,4", "--output", _directories.BenchOutput);
            Assert.True(bench.ExitCode == 0, bench.Output);
            var run = Assert.Single(Directory.GetDirectories(_directories.BenchOutput));
            Assert.Equal(
                [BenchOutputs.LatencyDistributionPng, BenchOutputs.LatencyOverTimePng, BenchOutputs.ResultsJson, BenchOutputs.SamplesCsv, BenchStages.BreakdownPng],
                Directory.GetFiles(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var results = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(run, BenchOutputs.ResultsJson)), HybridIngestJsonContext.Default.BenchResults)!;
            Assert.Equal([(1, 8, 8), (4, 8, 8)], results.Levels.Select(l => (l.Concurrency, l.Requests, l.Succeeded)));
            Assert.All(results.Samples, s => Assert.NotNull(s.LambdaEc2CallTimeMs));
            // Every invocation has the timings of every stage: the host's REPORT line, the function's and the server's.
            Assert.All(results.Levels, l =>
            {
                Assert.NotNull(l.Stages);
                Assert.All(l.Stages, stage => Assert.Equal(8, stage.Ms.Count));
            });
            Assert.Contains("Where the time went", bench.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("Invoke API + host", bench.StandardOutput, StringComparison.Ordinal);

            var verifyBench = await Hybrid("verify");
            Assert.True(verifyBench.ExitCode == 0, verifyBench.Output);
            Assert.Contains("All 16 object(s)", verifyBench.StandardOutput, StringComparison.Ordinal);

            // One object gone behind the pipeline's back: verify must say so and fail.
            var saved = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(_directories.State, "last-results.json")), HybridIngestJsonContext.Default.StoredImagesFile)!;
            using (var s3 = ImageVerifier.CreateClient(saved.Region, saved.S3Endpoint))
            {
                await s3.DeleteObjectAsync(saved.Images[3].Bucket, saved.Images[3].Key);
            }
            var verifyMissing = await Hybrid("verify");
            Assert.True(verifyMissing.ExitCode == (int)ExitCode.CheckFailed, verifyMissing.Output);
            Assert.Contains("missing", verifyMissing.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("1 of 16", verifyMissing.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            var down = await HybridCli.RunAsync("local", "down", "--state-dir", _directories.State);
            Assert.True(down.ExitCode == 0, down.Output);
        }
    }

    Task<ProcessRun> Hybrid(params string[] arguments) => HybridCli.RunAsync([.. arguments, "--state-dir", _directories.State]);
}
