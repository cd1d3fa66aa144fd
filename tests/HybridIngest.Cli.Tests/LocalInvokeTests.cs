using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// <c>hybrid local invoke</c> run as a user runs it (the built command in its own process), each run
/// starting and stopping its own stack: moto_server, the packaged server and the local Lambda host. The
/// command's TMPDIR is this test's, so the stack's state directory is made, and must be removed, there.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed partial class LocalInvokeTests(PackagedArtifacts artifacts) : IDisposable
{
    const string StateDirectoryPrefix = "hybrid-local-invoke-";

    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-local-invoke-test").FullName;
    readonly List<int> _stackPids = [];

    string TemporaryDirectory => Path.Combine(_directory, "tmp");

    /// <summary>After a failed test: whatever the command left running.</summary>
    public void Dispose()
    {
        foreach (var pid in _stackPids.Where(IsAlive))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// The event in the API Gateway shape, which the command does not build itself: the function reads
    /// it only if the file arrives as written, not rebuilt as {"image_url"}. A stack of <c>local up</c> is recorded in the
    /// user's state directory meanwhile: the command neither refuses nor touches it.
    /// </summary>
    [Fact]
    public async Task InvokesTheEventFileOnAStackOfItsOwnAndStopsEverythingItStarted()
    {
        await using var origin = await ImageOrigin.StartAsync();
        var imageUrl = origin.Serve("/sample.png", SampleImages.Png);
        var eventFile = WriteEvent($$"""
            {
              "body": "{\"image_url\": \"{{imageUrl}}\"}"
            }
            """);
        var userState = Path.Combine(_directory, "user-state");
        new LocalState(userState).Save(RecordedStack.With());
        var recorded = File.ReadAllText(new LocalState(userState).StateFile);

        var run = await LocalInvokeAsync(userState, "-e", eventFile, "--json");

        Assert.True(run.ExitCode == 0, run.Output);
        var answer = JsonSerializer.Deserialize(run.StandardOutput, HybridIngestJsonContext.Default.InvokeResult)!;
        Assert.True(answer.Succeeded, run.Output);
        Assert.Equal("image/png", answer.Result!.ContentType);
        Assert.Equal($"images/{answer.Result.ImageId}.png", answer.Result.Key);
        Assert.Equal(SampleImages.Png.Bytes.Length, answer.Result.FileSize);
        // The function's log, after the answer, on stderr.
        Assert.Contains($"START RequestId: {answer.RequestId}", run.StandardError, StringComparison.Ordinal);
        Assert.Contains($"REPORT RequestId: {answer.RequestId}", run.StandardError, StringComparison.Ordinal);
        AssertTheStackIsGone(run);
        Assert.Equal(recorded, File.ReadAllText(new LocalState(userState).StateFile));
    }

    [Fact]
    public async Task AnEventTheFunctionRejectsExitsThreeWithItsErrorCode()
    {
        var eventFile = WriteEvent("{}");

        var run = await LocalInvokeAsync(Path.Combine(_directory, "user-state"), "--event", eventFile);

        Assert.True(run.ExitCode == (int)ExitCode.CheckFailed, run.Output);
        Assert.Contains(ErrorCodes.InvalidRequest, run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("REPORT RequestId: ", run.StandardError, StringComparison.Ordinal);
        AssertTheStackIsGone(run);
    }

    [Theory]
    [InlineData("missing.json", null, "does not exist")]
    [InlineData("event.json", "image_url=http://x.test/a.png", "is not JSON")]
    [InlineData("event.json", """["http://x.test/a.png"]""", "holds a JSON array, not an object")]
    [InlineData("-", null, "the event on stdin is not JSON")] // an empty stdin
    public async Task RefusesAnEventThatIsNotAJsonObjectBeforeStartingAnything(string file, string? content, string problem)
    {
        var eventFile = file == "-" ? file : Path.Combine(_directory, file);
        if (content is not null)
        {
            File.WriteAllText(eventFile, content);
        }

        var run = await LocalInvokeAsync(Path.Combine(_directory, "user-state"), "--event", eventFile);

        Assert.True(run.ExitCode == (int)ExitCode.Usage, run.Output);
        Assert.Equal("", run.StandardOutput);
        Assert.Contains($"--event: {(file == "-" ? "" : $"the event file {eventFile} ")}", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(problem, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("moto_server", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(TemporaryDirectory));
    }

    Task<ProcessRun> LocalInvokeAsync(string userStateDirectory, params string[] arguments)
    {
        Directory.CreateDirectory(TemporaryDirectory);
        return HybridCli.RunAsync(
            new Dictionary<string, string?> { ["TMPDIR"] = TemporaryDirectory, [LocalState.EnvironmentVariable] = userStateDirectory },
            ["local", "invoke", .. arguments, "--artifacts", artifacts.Directory]);
    }

    string WriteEvent(string json)
    {
        var file = Path.Combine(_directory, "event.json");
        File.WriteAllText(file, json);
        return file;
    }

    /// <summary>
    /// The three processes the command said it stopped ("moto pid N, server pid N, lambda-host pid N")
    /// are gone, and so is the state directory it made in TMPDIR.
    /// </summary>
    void AssertTheStackIsGone(ProcessRun run)
    {
        var stopped = StoppedProcess().Matches(run.StandardError)
            .ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture));
        _stackPids.AddRange(stopped.Values);
        Assert.True(stopped.Keys.Order(StringComparer.Ordinal).SequenceEqual(["lambda-host", "moto", "server"]), run.Output);
        Assert.All(stopped, p => Assert.False(IsAlive(p.Value), $"{p.Key} (pid {p.Value}) is still running"));
        Assert.Contains($"in {TemporaryDirectory}{Path.DirectorySeparatorChar}{StateDirectoryPrefix}", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(TemporaryDirectory, StateDirectoryPrefix + "*"));
    }

    /// <summary>Running, and not a zombie waiting to be reaped (/proc/PID/stat's state after "(command)").</summary>
    static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')')..] is not [')', ' ', 'Z', ..];
        }
        catch (IOException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"(?<name>moto|server|lambda-host) pid (?<pid>\d+)")]
    private static partial Regex StoppedProcess();
}
