using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary>
/// The <c>hybrid</c> command: wires the commands (each in its own <c>…Command</c> file with its
/// options and action) and turns any parse error into <see cref="ExitCode.Usage"/>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ConsoleOutput.Configure(AnsiConsole.Profile, Console.IsOutputRedirected, Environment.GetEnvironmentVariable("COLUMNS"));
        // Ctrl+C/SIGTERM cancel the action's token; the action then gets time to finish what must
        // not be cut short (bench writes what it measured, demo tears its stack down) instead of
        // the library's default 2 s before the process is ended.
        return await InvokeAsync(CreateRootCommand().Parse(args), new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(3) });
    }

    public static RootCommand CreateRootCommand() => new($"""
        HybridIngest: package, run and measure the Lambda → EC2 server → S3 image pipeline, on AWS or on this machine.

        Exit codes:
          {(int)ExitCode.Success}    success
          {(int)ExitCode.Error}    unexpected error
          {(int)ExitCode.Usage}    bad usage or input (nothing was changed)
          {(int)ExitCode.CheckFailed}    a check failed: an invocation failed, an object is missing or different
          {(int)ExitCode.MissingTool}    a needed tool or toolchain is missing
          {(int)ExitCode.Cancelled}  interrupted
        """)
    {
        PackageCommand.Create(),
        InvokeCommand.Create(),
        VerifyCommand.Create(),
        BenchCommand.Create(),
        LocalCommand.Create(),
        DemoCommand.Create(),
    };

    /// <summary>Runs the parsed command; a parse error (System.CommandLine would exit 1) is <see cref="ExitCode.Usage"/>, before any action runs.</summary>
    public static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration configuration)
    {
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await configuration.Error.WriteLineAsync($"hybrid: {error.Message}");
            }
            await configuration.Error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");
            return (int)ExitCode.Usage;
        }
        return await parse.InvokeAsync(configuration);
    }

    static string CommandPath(CommandResult result) =>
        result.Parent is CommandResult parent ? $"{CommandPath(parent)} {result.Command.Name}" : "hybrid";
}
