using System.CommandLine;

namespace HybridIngest.Cli.Tests;

public sealed class CommandLineTests
{
    static string Help(params string[] args)
    {
        var output = new StringWriter();
        var exit = Program.CreateRootCommand().Parse([.. args, "--help"]).Invoke(new InvocationConfiguration { Output = output });
        Assert.Equal(0, exit);
        return output.ToString();
    }

    [Fact]
    public void RootHelpListsTheCommandsAndExitCodes()
    {
        var help = Help();

        foreach (var command in new[] { "package", "invoke", "verify", "bench" })
        {
            Assert.Contains(command, help, StringComparison.Ordinal);
        }
        foreach (var code in Enum.GetValues<ExitCode>())
        {
            Assert.Contains($"  {(int)code} ", help, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("package", "--arch", "--output")]
    [InlineData("invoke", "--url", "--function", "--endpoint-url", "--region", "--state-dir", "--infra")]
    [InlineData("verify", "--state-dir")]
    [InlineData("bench", "--url", "--requests", "--concurrency", "--rate", "--duration", "--preset", "--output", "--function", "--endpoint-url")]
    public void HelpOfEachCommandDescribesItsOptions(string command, params string[] options)
    {
        var help = Help(command);

        Assert.All(options, option => Assert.Contains(option, help, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("invoke")]
    [InlineData("bench")]
    public void RequiresAnImageUrl(string command) =>
        Assert.Contains(Program.CreateRootCommand().Parse([command]).Errors, e => e.Message.Contains("--url", StringComparison.Ordinal));

    [Theory]
    [InlineData("package", "--arch", "sparc")]
    [InlineData("bench", "--url", "http://x.test/a.png", "--concurrency", "1,zero")]
    [InlineData("bench", "--url", "http://x.test/a.png", "--concurrency", "0")]
    [InlineData("bench", "--url", "http://x.test/a.png", "--duration", "5 weeks")]
    [InlineData("bench", "--url", "http://x.test/a.png", "--preset", "fast")]
    [InlineData("invoke", "--url", "http://x.test/a.png", "--endpoint-url", "not a url")]
    public void RejectsBadValues(params string[] args) =>
        Assert.NotEmpty(Program.CreateRootCommand().Parse(args).Errors);

    [Fact]
    public async Task ParseErrorsExitWithUsageCode() =>
        Assert.Equal((int)ExitCode.Usage, await Program.Main(["bench", "--url", "http://x.test/a.png", "--concurrency", "x"]));

    [Fact]
    public async Task InvalidImageUrlExitsWithUsageCodeBeforeAnyInvocation() =>
        Assert.Equal((int)ExitCode.Usage, await Program.Main(["bench", "--url", "ftp://x.test/a.png", "--function", "f", "--endpoint-url", "http://127.0.0.1:9"]));

    [Fact]
    public void ParsesConcurrencyLevelsAndDurations()
    {
        var parse = Program.CreateRootCommand().Parse(["bench", "--url", "http://x.test/a.png", "--concurrency", "1, 8,32", "--duration", "5m", "--rate", "2.5"]);

        Assert.Empty(parse.Errors);
        Assert.Equal([1, 8, 32], OptionKinds.ParseCounts("1, 8,32", 1, BenchSettings.MaxConcurrency)!);
        Assert.Equal(TimeSpan.FromMinutes(5), OptionKinds.ParseDuration("5m"));
        Assert.Equal(TimeSpan.FromSeconds(300), OptionKinds.ParseDuration("300"));
        Assert.Equal(TimeSpan.FromSeconds(90), OptionKinds.ParseDuration("90s"));
        Assert.Null(OptionKinds.ParseDuration("-1"));
    }

    [Fact]
    public async Task EndpointUrlWithoutFunctionIsAUsageError() =>
        Assert.Equal((int)ExitCode.Usage, await Program.Main(["invoke", "--url", "http://x.test/a.png", "--endpoint-url", "http://127.0.0.1:9"]));
}
