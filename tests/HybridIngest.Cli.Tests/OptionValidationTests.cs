using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace HybridIngest.Cli.Tests;

/// <summary>Changes the working directory and HYBRID_STATE_DIR, so it runs alone.</summary>
[CollectionDefinition(nameof(ProcessWideState), DisableParallelization = true)]
public sealed class ProcessWideState;

/// <summary>
/// Every option of every command, fed values that are wrong for most of them: each is refused at parse
/// time with exit code 2, a message naming the option and no stack trace, and nothing is created or
/// started; or, where the table says the value is valid for that option, it is accepted by the parser.
/// </summary>
[Collection(nameof(ProcessWideState))]
public sealed class OptionValidationTests : IDisposable
{
    static readonly string[] Values = ["abc", "-5", "0", "99999999999", "", "1,,2"];

    /// <summary>A path, a name, an ARN or a region: any text but the empty one (checked when used).</summary>
    static readonly string[] AnyButEmpty = ["abc", "-5", "0", "99999999999", "1,,2"];

    /// <summary>A flag takes no value: the value is an unrecognized argument, and the message names it.</summary>
    const string Flag = "flag";

    /// <summary>Per "command option": the values above that the parser accepts (or <see cref="Flag"/>).</summary>
    static readonly Dictionary<string, string[]> Accepted = new()
    {
        ["package --arch"] = [],
        ["package --output"] = AnyButEmpty,
        ["invoke --url"] = [],
        ["invoke --function"] = AnyButEmpty,
        ["invoke --endpoint-url"] = [],
        ["invoke --region"] = AnyButEmpty,
        ["invoke --state-dir"] = AnyButEmpty,
        ["invoke --infra"] = AnyButEmpty,
        ["invoke --json"] = [Flag],
        ["verify --state-dir"] = AnyButEmpty,
        ["bench --url"] = [],
        ["bench --requests"] = [],
        ["bench --concurrency"] = [],
        ["bench --rate"] = [],
        ["bench --duration"] = [],
        ["bench --preset"] = [],
        ["bench --output"] = AnyButEmpty,
        ["bench --function"] = AnyButEmpty,
        ["bench --endpoint-url"] = [],
        ["bench --region"] = AnyButEmpty,
        ["bench --state-dir"] = AnyButEmpty,
        ["bench --infra"] = AnyButEmpty,
        ["local up --state-dir"] = AnyButEmpty,
        ["local up --artifacts"] = AnyButEmpty,
        ["local up --dashboard"] = [Flag],
        ["local up --max-concurrency"] = [],
        ["local up --server-url"] = [],
        ["local up --servers"] = [],
        ["local up --no-terraform"] = [Flag],
        ["local down --state-dir"] = AnyButEmpty,
        ["local down --destroy"] = [Flag],
        ["local status --state-dir"] = AnyButEmpty,
        ["local status --json"] = [Flag],
        ["local env --state-dir"] = AnyButEmpty,
        ["local restart-servers --state-dir"] = AnyButEmpty,
        ["local invoke --event"] = AnyButEmpty,
        ["local invoke --artifacts"] = AnyButEmpty,
        ["local invoke --json"] = [Flag],
        ["local lambda-host --config"] = AnyButEmpty,
        ["local logs --follow"] = [Flag],
        ["local logs --state-dir"] = AnyButEmpty,
        ["local balancer --config"] = AnyButEmpty,
        ["demo --state-dir"] = AnyButEmpty,
        ["demo --artifacts"] = AnyButEmpty,
        ["demo --requests"] = [],
        ["demo --concurrency"] = [],
        ["demo --output"] = AnyButEmpty,
    };

    /// <summary>What a command needs besides the option under test to parse at all.</summary>
    static readonly Dictionary<string, string[]> RequiredArguments = new()
    {
        ["invoke"] = ["--url", "http://x.test/a.png"],
        ["bench"] = ["--url", "http://x.test/a.png"],
        ["local invoke"] = ["--event", "event.json"],
        ["local lambda-host"] = ["--config", "lambda-host.json"],
        ["local balancer"] = ["--config", "balancer.json"],
    };

    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-options-").FullName;
    readonly string _previousDirectory = Environment.CurrentDirectory;
    readonly string? _previousStateDirectory = Environment.GetEnvironmentVariable(LocalState.EnvironmentVariable);

    public OptionValidationTests()
    {
        Environment.CurrentDirectory = _directory;
        Environment.SetEnvironmentVariable(LocalState.EnvironmentVariable, Path.Combine(_directory, ".hybrid"));
    }

    public void Dispose()
    {
        Environment.CurrentDirectory = _previousDirectory;
        Environment.SetEnvironmentVariable(LocalState.EnvironmentVariable, _previousStateDirectory);
        Directory.Delete(_directory, recursive: true);
    }

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var option in Accepted.Keys)
        {
            foreach (var value in Values)
            {
                cases.Add(option, value);
            }
        }
        return cases;
    }

    [Fact]
    public void TheTableHasEveryOptionOfEveryCommand()
    {
        var inTree = OptionsOf(Program.CreateRootCommand(), "").Order(StringComparer.Ordinal);

        Assert.Equal(inTree, Accepted.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EachValueIsRefusedBeforeAnythingRunsOrAcceptedWhereTheTableSaysSo(string commandAndOption, string value)
    {
        var split = commandAndOption.LastIndexOf(' ');
        var (command, option) = (commandAndOption[..split], commandAndOption[(split + 1)..]);
        var required = RequiredArguments.GetValueOrDefault(command, []);
        string[] args = [.. command.Split(' '), .. required.Contains(option) ? [] : required, option, value];
        var parse = Program.CreateRootCommand().Parse(args);

        if (Accepted[commandAndOption].Contains(value))
        {
            Assert.Empty(parse.Errors);
            return;
        }
        var childrenBefore = ChildProcesses();
        var (output, error) = (new StringWriter(), new StringWriter());

        var exit = await Program.InvokeAsync(parse, new InvocationConfiguration { Output = output, Error = error });

        Assert.Equal((int)ExitCode.Usage, exit);
        Assert.IsType<ParseErrorAction>(parse.Action);
        var message = error.ToString();
        Assert.Contains(Accepted[commandAndOption] is [Flag] ? $"'{value}'" : $"{option}: expected ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message + output, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
        Assert.Equal(childrenBefore, ChildProcesses());
    }

    [Fact]
    public void ManyCommandTreesInOneProcessReportAnErrorOnce()
    {
        Program.CreateRootCommand();
        Program.CreateRootCommand();

        var parse = Program.CreateRootCommand().Parse(["local", "up", "--max-concurrency", "0"]);

        Assert.Equal("--max-concurrency: expected a whole number from 1 to 1000, got '0'.", Assert.Single(parse.Errors).Message);
    }

    [Theory]
    [InlineData("demo", "--concurrency", "5000")]
    [InlineData("demo", "--concurrency", "1,,2")]
    [InlineData("bench", "--duration", "99999999999h")]
    [InlineData("bench", "--rate", "1e300")]
    [InlineData("local", "up", "--server-url", "ftp://127.0.0.1:5000")]
    [InlineData("local", "up", "--server-url", "127.0.0.1:5000")]
    [InlineData("local", "up", "--servers", "17")]
    [InlineData("local", "up", "--servers", "2", "--server-url", "http://127.0.0.1:5000")]
    public void RefusesValuesOutOfRangeAtParseTime(params string[] args) =>
        Assert.IsType<ParseErrorAction>(Program.CreateRootCommand().Parse([.. args, .. RequiredArguments.GetValueOrDefault(args[0], [])]).Action);

    static IEnumerable<string> OptionsOf(Command command, string path)
    {
        foreach (var option in command.Options.Where(o => o is not (HelpOption or VersionOption)))
        {
            yield return $"{path} {option.Name}".TrimStart();
        }
        foreach (var subcommand in command.Subcommands)
        {
            foreach (var option in OptionsOf(subcommand, $"{path} {subcommand.Name}".TrimStart()))
            {
                yield return option;
            }
        }
    }

    /// <summary>The pids of this process's children (Linux: each thread's children file).</summary>
    static string ChildProcesses() => string.Join(' ', Directory.EnumerateDirectories("/proc/self/task")
        .SelectMany(task => ReadOrEmpty(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Order(StringComparer.Ordinal));

    /// <summary>A thread that ended between listing and reading has no children to report.</summary>
    static string ReadOrEmpty(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
