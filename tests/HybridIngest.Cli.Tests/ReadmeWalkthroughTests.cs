using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// The README's local-mode walkthrough (the block between <c>&lt;!-- walkthrough:start --&gt;</c> and
/// <c>&lt;!-- walkthrough:end --&gt;</c>) run as written by <c>bash -euo pipefail</c>, as a reader runs it
/// from the repository root of a fresh clone with <c>hybrid</c> installed:
/// <list type="bullet">
/// <item>the clone is a temp folder linking the repository's sources, build files, <c>infra/</c> and
/// <c>docs/</c>, with <c>artifacts</c> linking the test run's packages (<c>local up</c>'s default
/// <c>--artifacts artifacts</c> finds them up to date: no repackaging), so the files the block writes
/// (event.json, out.json, bench-results/) land there and never in the repository;</item>
/// <item><c>hybrid</c> on PATH is a script running the built command: the installed tool itself is
/// <see cref="ToolPackageTests"/>' subject, and packing and installing it again would only add time;</item>
/// <item>the state in a temp <c>HYBRID_STATE_DIR</c>; no <c>AWS_*</c> variables, as in a fresh shell.</item>
/// </list>
/// </summary>
[Collection(LocalStackCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReadmeWalkthroughTests(PackagedArtifacts artifacts) : IDisposable
{
    const string Start = "<!-- walkthrough:start -->";
    const string End = "<!-- walkthrough:end -->";

    /// <summary>Where the block serves its image from (python3 -m http.server 8000).</summary>
    const int OriginPort = 8000;

    /// <summary>What a fresh clone has that the walkthrough uses: the root marker, the package inputs (PackageInputs), infra/ and the image in docs/.</summary>
    static readonly string[] CloneEntries = ["HybridIngest.slnx", "global.json", "Directory.Build.props", "Directory.Packages.props", "src", "infra", "docs"];

    readonly string _stateDirectory = Directory.CreateTempSubdirectory("hybrid-walkthrough-state").FullName;
    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-walkthrough-").FullName;

    string Clone => Path.Combine(_directory, "clone");
    string Bin => Path.Combine(_directory, "bin");

    public void Dispose()
    {
        StackLeftovers.CleanUp(_stateDirectory);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task RunsAsWrittenAndLeavesNothingRunning()
    {
        Assert.True(StackLeftovers.PortIsFree(OriginPort),
            $"Port {OriginPort} is taken: the README's walkthrough serves its image on it. Stop what listens there (ss -ltnp 'sport = :{OriginPort}') and run the test again.");
        var script = Path.Combine(_directory, "walkthrough.sh");
        await File.WriteAllTextAsync(script, Walkthrough(await File.ReadAllTextAsync(Path.Combine(RepositoryLayout.Root, "README.md"))));
        MakeClone();

        var (exitCode, printed, stacks) = await RunAsync(script);

        Assert.True(exitCode == 0, $"the walkthrough exited with {exitCode}:{Environment.NewLine}{printed}");
        // invoke stored the image.
        Assert.Matches(@"\bkey\b[^\n]*\bimages/[0-9a-f-]{36}\.png", printed);
        // aws lambda invoke's answer, in out.json.
        var answer = JsonSerializer.Deserialize(await File.ReadAllTextAsync(Path.Combine(Clone, "out.json")), HybridIngestJsonContext.Default.FunctionResponse)!;
        Assert.True(answer.StatusCode == 200, answer.Body);
        var stored = JsonSerializer.Deserialize(answer.Body, HybridIngestJsonContext.Default.FunctionResponseBody)!.Result!.Value
            .Deserialize(HybridIngestJsonContext.Default.ProcessImageResponse)!;
        Assert.Equal(new FileInfo(Path.Combine(RepositoryLayout.Root, "docs", "dashboard.png")).Length, stored.FileSize);
        // restart-servers replaced both servers, and the bench saw no failure.
        Assert.Equal(2, printed.Split('\n').Count(line => line.Contains(") replaced by one on ", StringComparison.Ordinal)));
        Assert.Contains("2 server(s) restarted one at a time", printed, StringComparison.Ordinal);
        var bench = JsonSerializer.Deserialize(
            await File.ReadAllTextAsync(Path.Combine(Assert.Single(Directory.GetDirectories(Path.Combine(Clone, "bench-results"))), BenchOutputs.ResultsJson)),
            HybridIngestJsonContext.Default.BenchResults)!;
        var level = Assert.Single(bench.Levels);
        Assert.True(level.Succeeded == level.Requests, $"{level.Requests - level.Succeeded} of {level.Requests} bench invocations failed");
        // Both stacks are down, every process they had (the servers restart-servers replaced too) gone.
        Assert.Equal(2, stacks.Count);
        Assert.Empty(StackLeftovers.AliveOf(stacks[0] with { Processes = [.. stacks.SelectMany(s => s.Processes)] }));
        Assert.False(File.Exists(Path.Combine(_stateDirectory, "state.json")));
    }

    /// <summary>The bash between the markers: exactly one fenced block and nothing else, so that what runs is what the reader sees.</summary>
    static string Walkthrough(string readme)
    {
        var start = readme.IndexOf(Start, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start && readme.IndexOf(Start, start + 1, StringComparison.Ordinal) < 0,
            $"README.md must hold one {Start} … {End} pair, in that order.");
        var lines = readme[(start + Start.Length)..end].Trim('\n').Split('\n');
        Assert.True(lines is ["```bash", .., "```"] && !lines[1..^1].Any(line => line.StartsWith("```", StringComparison.Ordinal)),
            $"Between {Start} and {End} README.md must hold one ```bash block and nothing else.");
        return string.Join('\n', lines[1..^1]) + "\n";
    }

    void MakeClone()
    {
        Directory.CreateDirectory(Clone);
        foreach (var entry in CloneEntries)
        {
            File.CreateSymbolicLink(Path.Combine(Clone, entry), Path.Combine(RepositoryLayout.Root, entry));
        }
        File.CreateSymbolicLink(Path.Combine(Clone, "artifacts"), artifacts.Directory);
        Directory.CreateDirectory(Bin);
        HybridCli.WriteCommand(Bin);
    }

    /// <summary>
    /// Runs the script in the clone in a session of its own (setsid: bash leads its process group),
    /// so that whatever it leaves running in the background is found and stopped by group. Its output
    /// goes to a file, stdout and stderr in the order written, and not to a pipe that a background
    /// process would hold open after bash ends. Meanwhile every stack it records is kept, for the
    /// leftover check.
    /// </summary>
    async Task<(int ExitCode, string Printed, List<LocalStackStatus> Stacks)> RunAsync(string script)
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("AWS_", StringComparison.Ordinal))
            .ToDictionary(name => name, _ => (string?)null);
        environment["PATH"] = $"{Bin}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}";
        environment[LocalState.EnvironmentVariable] = _stateDirectory;
        var output = Path.Combine(_directory, "walkthrough.log");
        await using var walkthrough = ChildProcess.Start(CliWrap.Cli.Wrap("sh")
            .WithArguments(["-c", "exec setsid bash -euo pipefail \"$0\" >\"$1\" 2>&1", script, output])
            .WithWorkingDirectory(Clone)
            .WithEnvironmentVariables(environment));
        var stacks = await WatchStacksAsync(walkthrough);
        var exitCode = walkthrough.Exited.IsCompleted ? await walkthrough.Exited : -1;
        var left = await LeftRunningAsync(walkthrough.Id);
        foreach (var pid in left)
        {
            try
            {
                Signals.Send(pid, Signals.Kill);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile.
            }
        }
        var printed = await File.ReadAllTextAsync(output) + (exitCode == -1 ? $"{Environment.NewLine}(still running after 10 minutes: killed)" : "");
        Assert.True(exitCode != 0 || left.Count == 0, $"the walkthrough left processes {string.Join(", ", left)} running:{Environment.NewLine}{printed}");
        return (exitCode, printed, stacks);
    }

    /// <summary>
    /// The script's processes still running 10 s after it ended. Its last line, <c>kill $origin</c>,
    /// only signals the origin, and bash ends at once: an origin that is exiting is not left running,
    /// one that nobody stopped (or a bench nobody waited for) is still there 10 s later.
    /// </summary>
    static async Task<List<int>> LeftRunningAsync(int group)
    {
        var groups = new HashSet<int> { group };
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (DetachedProcess.LiveMembersOf(groups).Any() && !grace.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }
        return [.. DetachedProcess.LiveMembersOf(groups)];
    }

    /// <summary>
    /// Each stack the walkthrough brings up with every process it ever recorded (polls the state file
    /// while the script runs); returns when the script ends, or after 10 minutes.
    /// </summary>
    async Task<List<LocalStackStatus>> WatchStacksAsync(ChildProcess walkthrough)
    {
        var state = new LocalState(_stateDirectory);
        var stacks = new List<LocalStackStatus>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (!walkthrough.Exited.IsCompleted && !timeout.IsCancellationRequested)
        {
            LocalStackStatus? status = null;
            try
            {
                status = state.Load();
            }
            catch (IOException)
            {
                // Removed by down meanwhile.
            }
            if (status is not null)
            {
                if (stacks.Count > 0 && stacks[^1].StartedAt == status.StartedAt)
                {
                    stacks[^1] = status with { Processes = [.. stacks[^1].Processes.Concat(status.Processes).DistinctBy(p => (p.Pid, p.ProcessStartTicks))] };
                }
                else
                {
                    stacks.Add(status);
                }
            }
            await Task.WhenAny(walkthrough.Exited, Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }
        return stacks;
    }
}
