using System.Diagnostics;
using System.Text;

namespace HybridIngest.Cli.Tests;

/// <summary><c>hybrid demo</c> end to end, as in the README's quick start (with a smaller bench).</summary>
[Collection(LocalStackCollection.Name)]
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
        var demo = await HybridCli.RunAsync(
            "demo", "--state-dir", _stateDirectory, "--artifacts", artifacts.Directory,
            "--requests", "20", "--concurrency", "1,4", "--output", _benchOutput);

        Assert.True(demo.ExitCode == 0, demo.Output);
        Assert.Contains("4 of 4 sample images stored", demo.StandardOutput, StringComparison.Ordinal);
        foreach (var contentType in new[] { "image/jpeg", "image/png", "image/gif", "image/webp" })
        {
            Assert.Contains(contentType, demo.StandardOutput, StringComparison.Ordinal);
        }
        Assert.Contains("all 44 stored objects are in S3", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Demo passed", demo.StandardOutput, StringComparison.Ordinal);

        var results = Assert.Single(Directory.GetDirectories(_benchOutput));
        Assert.Contains(results, demo.StandardOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(results, BenchOutputs.ResultsJson)));
        Assert.True(File.Exists(Path.Combine(results, BenchOutputs.LatencyDistributionPng)));

        Assert.Empty(StackLeftovers.ProcessesOf(_stateDirectory));
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
    }

    [Fact]
    public async Task TearsDownOnCtrlC()
    {
        using var demo = HybridCli.Start(
            "demo", "--state-dir", _stateDirectory, "--artifacts", artifacts.Directory, "--output", _benchOutput);
        var output = new StringBuilder();
        var stderr = demo.StandardError.ReadToEndAsync();

        // Interrupted once the whole stack is up, which is when the most is running.
        string? line;
        while ((line = await demo.StandardOutput.ReadLineAsync()) is not null && !line.Contains("Lambda Invoke API on", StringComparison.Ordinal))
        {
            output.AppendLine(line);
        }
        Assert.True(line is not null, $"The demo ended before its stack was up:{Environment.NewLine}{output}{await stderr}");
        Assert.NotEmpty(StackLeftovers.ProcessesOf(_stateDirectory));
        using (var interrupt = Process.Start("kill", ["-INT", demo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }
        output.Append(await demo.StandardOutput.ReadToEndAsync());
        await demo.WaitForExitAsync();

        Assert.True(demo.ExitCode == (int)ExitCode.Cancelled, $"exit code {demo.ExitCode}{Environment.NewLine}{output}{await stderr}");
        Assert.Contains("everything the demo started is stopped", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(StackLeftovers.ProcessesOf(_stateDirectory));
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
    }
}
