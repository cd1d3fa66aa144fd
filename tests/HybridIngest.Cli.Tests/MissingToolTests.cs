namespace HybridIngest.Cli.Tests;

/// <summary>
/// Each command that needs a tool, run by the built <c>hybrid</c> with a PATH that has everything
/// this machine's PATH has but that tool: it exits <see cref="ExitCode.MissingTool"/> with a message
/// naming the tool and how to install it, and creates nothing (every process <c>hybrid</c> starts
/// logs into the state directory, and packaging writes into the artifacts directory).
/// </summary>
public sealed class MissingToolTests : IDisposable
{
    /// <summary>Tokens in <see cref="Cases"/>, replaced by this test's directories.</summary>
    const string State = "{state}";
    const string Artifacts = "{artifacts}";
    const string Bench = "{bench}";
    const string Event = "{event}";
    const string ImageUrl = "http://127.0.0.1:9/a.png";

    static readonly Tool[] Tools = [Tool.MotoServer, Tool.Terraform, Tool.Dotnet];

    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-missing-tool-").FullName;
    readonly string _bin = Directory.CreateTempSubdirectory("hybrid-path-").FullName;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        Directory.Delete(_bin, recursive: true);
    }

    public static TheoryData<string, string[]> Cases() => new()
    {
        { "moto_server", ["local", "up", "--state-dir", State, "--artifacts", Artifacts] },
        { "moto_server", ["demo", "--state-dir", State, "--artifacts", Artifacts, "--output", Bench] },
        { "moto_server", ["local", "invoke", "--event", Event, "--artifacts", Artifacts] },
        { "terraform", ["local", "up", "--state-dir", State, "--artifacts", Artifacts] },
        { "terraform", ["demo", "--state-dir", State, "--artifacts", Artifacts, "--output", Bench] },
        { "terraform", ["local", "down", "--destroy", "--state-dir", State] },
        // No local stack and no --function/--region: the function's name comes from terraform output.
        { "terraform", ["invoke", "--url", ImageUrl, "--state-dir", State] },
        { "terraform", ["bench", "--url", ImageUrl, "--state-dir", State, "--output", Bench] },
        // Empty artifacts directory: the packages must be published first.
        { "dotnet", ["package", "--output", Artifacts] },
        { "dotnet", ["local", "up", "--state-dir", State, "--artifacts", Artifacts] },
        { "dotnet", ["demo", "--state-dir", State, "--artifacts", Artifacts, "--output", Bench] },
        { "dotnet", ["local", "invoke", "--event", Event, "--artifacts", Artifacts] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ExitsWithMissingToolNamingItBeforeCreatingOrStartingAnything(string tool, string[] command)
    {
        var state = Path.Combine(_directory, "state");
        if (command[..2] is ["local", "down"])
        {
            RecordAStack(state);
        }
        var eventFile = Path.Combine(_directory, "event.json");
        File.WriteAllText(eventFile, "{}");
        var before = Snapshot();
        string[] arguments = [.. command.Select(a => a.Replace(State, state).Replace(Artifacts, Path.Combine(_directory, "artifacts")).Replace(Bench, Path.Combine(_directory, "bench")).Replace(Event, eventFile))];

        var run = await HybridCli.RunAsync(new Dictionary<string, string?> { ["PATH"] = PathWithout(tool) }, arguments);

        Assert.True(run.ExitCode == (int)ExitCode.MissingTool, run.Output);
        Assert.Contains($"{tool} is not on PATH: ", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(Tools.Single(t => t.Name == tool).Install, run.StandardError, StringComparison.Ordinal);
        Assert.All(Tools.Where(t => t.Name != tool), other => Assert.DoesNotContain(other.NotFound, run.StandardError, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void TheTableHasEveryToolThatHybridChecks() =>
        Assert.Equal(Tools.Select(t => t.Name).Order(), Cases().Select(c => c.Data.Item1).Distinct().Order());

    /// <summary>
    /// A directory of links to every program on this machine's PATH except <paramref name="tool"/>
    /// (the first of each name, as PATH finds it).
    /// </summary>
    string PathWithout(string tool)
    {
        var bin = _bin;
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }
            foreach (var program in Directory.EnumerateFileSystemEntries(directory))
            {
                var link = Path.Combine(bin, Path.GetFileName(program));
                if (Path.GetFileName(program) != tool && !Path.Exists(link))
                {
                    File.CreateSymbolicLink(link, program);
                }
            }
        }
        Assert.False(Tool.IsOnPath(tool, bin));
        Assert.True(Tool.IsOnPath("sh", bin));
        return bin;
    }

    /// <summary>A stack as <c>local up</c> records it, with no process left to stop.</summary>
    static void RecordAStack(string state) => new LocalState(state).Save(RecordedStack.With());

    /// <summary>Every file and directory under this test's directory, with each file's content.</summary>
    string Snapshot() => string.Join(Environment.NewLine, Directory.EnumerateFileSystemEntries(_directory, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal)
        .Select(entry => File.Exists(entry) ? $"{entry}: {File.ReadAllText(entry)}" : entry));
}
