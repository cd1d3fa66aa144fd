using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using HybridIngest.Cli.Local;
using HybridIngest.Contracts;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary><c>hybrid demo</c> end to end, as in the README's quick start (with a smaller bench).</summary>
[Collection(DemoCollection.Name)]
public sealed class DemoTests(PackagedArtifacts artifacts) : IDisposable
{
    readonly StackDirectories _directories = new("demo");

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task StoresEverySampleBenchesVerifiesReportsAndTearsDown()
    {
        var lines = new ConcurrentQueue<string>();
        await using var demo = HybridCli.Start(lines,
            "demo", "--state-dir", _directories.State, "--artifacts", artifacts.Directory,
            "--requests", "20", "--concurrency", "1,4", "--output", _directories.BenchOutput);

        var stack = await StackLeftovers.WaitForStackAsync(_directories.State, demo);
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

        var results = Assert.Single(Directory.GetDirectories(_directories.BenchOutput));
        Assert.Contains(Path.GetFileName(results), printed, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(results, BenchOutputs.ResultsJson)));
        Assert.True(File.Exists(Path.Combine(results, BenchOutputs.LatencyDistributionPng)));

        // The demo shows the teardown as on AWS: terraform destroy, then the processes stopped.
        var terraformLog = File.ReadAllText(Path.Combine(_directories.State, "logs", "terraform.log"));
        Assert.Contains("$ terraform destroy", terraformLog, StringComparison.Ordinal);
        // The apply and the destroy each say how many resources they changed, as Terraform counted them.
        var added = Regex.Match(terraformLog, @"Apply complete! Resources: (\d+) added, 0 changed, 0 destroyed\.").Groups[1].Value;
        var destroyed = Regex.Match(terraformLog, @"Destroy complete! Resources: (\d+) destroyed\.").Groups[1].Value;
        Assert.Matches("^[1-9][0-9]*$", added);
        Assert.Contains($"applied {added} resources: function ", printed, StringComparison.Ordinal);
        Assert.Contains($"destroyed {destroyed} resources", printed, StringComparison.Ordinal);
        AssertAppliedOutputsAreTheDefaultsWithoutTerraform(terraformLog);
        Assert.Empty(StackLeftovers.AliveOf(stack));
        Assert.False(File.Exists(Path.Combine(_directories.State, "state.json")));
    }

    /// <summary>
    /// What the demo's apply printed (the last "Outputs:" in its terraform.log) is what a stack without
    /// Terraform (<c>local up --no-terraform</c>, <c>local invoke</c>) gives the function and the server.
    /// </summary>
    static void AssertAppliedOutputsAreTheDefaultsWithoutTerraform(string terraformLog)
    {
        var printed = terraformLog[(terraformLog.LastIndexOf("\nOutputs:\n", StringComparison.Ordinal) + 1)..];
        var expected = StackOutputs.WithoutTerraform;
        Assert.Contains($"function_name = \"{expected.FunctionName}\"\n", printed, StringComparison.Ordinal);
        Assert.Contains($"function_arn = \"{expected.FunctionArn}\"\n", printed, StringComparison.Ordinal);
        Assert.Contains($"bucket_name = \"{expected.Bucket}\"\n", printed, StringComparison.Ordinal);
        Assert.Contains($"region = \"{expected.Region}\"\n", printed, StringComparison.Ordinal);
        Assert.Contains($"function_timeout_s = {expected.FunctionTimeoutSeconds}\n", printed, StringComparison.Ordinal);
        Assert.Contains($"function_memory_mb = {expected.FunctionMemoryMb}\n", printed, StringComparison.Ordinal);
        Assert.Equal(expected.ServerEnvironment.OrderBy(e => e.Key, StringComparer.Ordinal), PrintedMap(printed, "server_environment"));
        // SERVER_URL is the load balancer's address: local mode always replaces it.
        Assert.Equal(
            expected.FunctionEnvironment.Keys.Append(FunctionEnvironmentVariables.ServerUrl).Order(StringComparer.Ordinal),
            PrintedMap(printed, "function_environment").Select(e => e.Key));
    }

    /// <summary>A map output as terraform prints it: <c>NAME = {</c> (or <c>tomap({</c>), a <c>"KEY" = "VALUE"</c> line each, then <c>}</c>.</summary>
    static IEnumerable<KeyValuePair<string, string>> PrintedMap(string printed, string name)
    {
        var map = Regex.Match(printed, $"\n{name} = (?:tomap\\()?\\{{\n((?:  .*\n)*)\\}}");
        Assert.True(map.Success, $"no map output {name} in:\n{printed}");
        return Regex.Matches(map.Groups[1].Value, "^  \"(.+)\" = \"(.*)\"$", RegexOptions.Multiline)
            .Select(m => KeyValuePair.Create(m.Groups[1].Value, m.Groups[2].Value))
            .OrderBy(e => e.Key, StringComparer.Ordinal);
    }
}

/// <summary>
/// <c>hybrid demo</c> interrupted with Ctrl+C once its whole stack is up: a class of its own, so it
/// runs in another lane than the demo's full run (see <see cref="LocalStackCollection"/>).
/// </summary>
[Collection(InterruptedDemoCollection.Name)]
public sealed class InterruptedDemoTests(PackagedArtifacts artifacts) : IDisposable
{
    readonly StackDirectories _directories = new("demo");

    public void Dispose() => _directories.Dispose();

    [Fact]
    public async Task TearsDownOnCtrlC()
    {
        var lines = new ConcurrentQueue<string>();
        await using var demo = HybridCli.Start(lines,
            "demo", "--state-dir", _directories.State, "--artifacts", artifacts.Directory, "--output", _directories.BenchOutput);

        // Interrupted once the whole stack is up, which is when the most is running.
        var stack = await StackLeftovers.WaitForStackAsync(_directories.State, demo);
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
        Assert.False(File.Exists(Path.Combine(_directories.State, "state.json")));
    }
}
