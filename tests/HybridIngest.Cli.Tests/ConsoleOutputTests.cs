using HybridIngest.Cli.Local;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// Output for people: the real <c>hybrid</c> with its output piped (no terminal, no COLUMNS) keeps
/// keys, URLs and SHA-256s on one line; a long step says how long it has run, a line at a time.
/// </summary>
public sealed class ConsoleOutputTests : IAsyncLifetime
{
    FakeInvokeApi _api = null!;
    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-output-test").FullName;

    public async ValueTask InitializeAsync() => _api = await FakeInvokeApi.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_stateDirectory, recursive: true);
    }

    [Fact]
    public async Task PipedInvokeKeepsTheKeyTheLocationAndTheSha256EachOnOneLine()
    {
        var run = await HybridCli.RunAsync(
            new Dictionary<string, string?> { ["COLUMNS"] = null },
            "invoke", "--url", "http://origin.test/a-rather-long-path/to/the/image/that/makes/the/line/long.png",
            "--function", FakeInvokeApi.FunctionName, "--endpoint-url", _api.Endpoint.ToString(), "--region", "eu-west-1", "--state-dir", _stateDirectory);

        Assert.True(run.ExitCode == 0, run.Output);
        var lines = run.StandardOutput.Split('\n');
        Assert.Single(lines, l => l.Contains(new string('a', 64), StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("s3://bucket/images/img1.png", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("images/img1.png", StringComparison.Ordinal) && l.Contains("key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALongStepPrintsALineWhenItStartsAndEveryFewSecondsWhenNotOnATerminal()
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        var time = new FakeTimeProvider();
        var step = new TaskCompletionSource<int>();

        var running = console.LongStepAsync("Applying infra/", () => step.Task, time: time);
        Assert.Equal(["Applying infra/ …"], Lines(console));

        time.Advance(ConsoleOutput.PipedHeartbeat);
        time.Advance(ConsoleOutput.PipedHeartbeat);
        step.SetResult(42);

        Assert.Equal(42, await running);
        Assert.Equal(["Applying infra/ …", "  Applying infra/: still running, 5 s", "  Applying infra/: still running, 10 s"], Lines(console));
        time.Advance(ConsoleOutput.PipedHeartbeat);
        Assert.Equal(3, Lines(console).Length);
    }

    [Fact]
    public async Task ALongStepWithProgressSaysHowFarItHasGotOnceItKnows()
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        var time = new FakeTimeProvider();
        var step = new TaskCompletionSource<int>();
        var progress = new TerraformProgress();

        var running = console.LongStepAsync("Applying infra/", () => step.Task, progress.Describe, time);
        time.Advance(ConsoleOutput.PipedHeartbeat);
        progress.Observe("Plan: 3 to add, 0 to change, 0 to destroy.");
        progress.Observe("aws_vpc.main: Creation complete after 11s [id=vpc-1]");
        time.Advance(ConsoleOutput.PipedHeartbeat);
        step.SetResult(0);
        await running;

        Assert.Equal(["Applying infra/ …", "  Applying infra/: still running, 5 s", "  Applying infra/: still running, 10 s, 1 of 3 resources"], Lines(console));
    }

    [Theory]
    [InlineData("Plan: 2 to add, 1 to change, 0 to destroy.", "3 of 3 resources")]
    [InlineData("Plan: 1 to import, 2 to add, 0 to change, 1 to destroy.", "3 of 3 resources")]
    public void TerraformProgressCountsTheResourceChangesOfThePlan(string summary, string expected)
    {
        var progress = new TerraformProgress();
        progress.Observe("data.aws_caller_identity.current: Read complete after 0s [id=123456789012]");
        Assert.Null(progress.Describe());

        foreach (var line in new[]
        {
            summary,
            "aws_s3_bucket.images: Creating...",
            "aws_s3_bucket.images: Creation complete after 2s [id=hybrid-ingest-123456789012-us-east-1]",
            "module.network.aws_route_table.private[0]: Modifications complete after 1s [id=rtb-1]",
            "aws_lb.server: Still destroying... [id=arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1, 10s elapsed]",
            "aws_lb.server: Destruction complete after 12s",
            "Apply complete! Resources: 2 added, 1 changed, 1 destroyed.",
        })
        {
            progress.Observe(line);
        }

        Assert.Equal(3, progress.Done);
        Assert.Equal(expected, progress.Describe());
    }

    [Fact]
    public void TerraformProgressOfAnApplyWithNothingToDoIsNoneOfNone()
    {
        var progress = new TerraformProgress();
        progress.Observe("No changes. Your infrastructure matches the configuration.");
        Assert.Equal("0 of 0 resources", progress.Describe());
    }

    [Fact]
    public void AHeadingStaysNarrowOnWideOutput()
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        ConsoleOutput.Configure(console.Profile, redirected: true, columns: null);

        console.Heading("Report");

        Assert.Equal(ConsoleOutput.RedirectedWidth, console.Profile.Width);
        var line = Assert.Single(Lines(console));
        Assert.StartsWith("── Report ─", line, StringComparison.Ordinal);
        Assert.InRange(line.Length, 20, 100);
    }

    static string[] Lines(TestConsole console) => console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
}
