using System.CommandLine;
using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid package</c>: publish both artifacts for one architecture.</summary>
public static class PackageCommand
{
    static readonly Option<string> Architecture = SharedOptions.WithDefault(OptionKinds.Choice<string>("--arch",
        "CPU architecture of the artifacts: x86_64 or arm64.", Packager.Architectures), "x86_64");
    static readonly Option<string> Output = SharedOptions.WithDefault(OptionKinds.Text<string>("--output",
        "Directory for lambda.zip, server.zip and their unpacked lambda/ and server/ trees.", "a directory path"), "artifacts");

    public static Command Create()
    {
        var command = new Command("package", "Publish the function (Native AOT bootstrap) and the server (self-contained, trimmed) into artifacts/lambda.zip and artifacts/server.zip.")
        {
            Architecture,
            Output,
        };
        command.SetAction((result, ct) => CommandAction.Run(() =>
            new PackageAction(AnsiConsole.Console).RunAsync(result.GetValue(Architecture)!, result.GetValue(Output)!, ct)));
        return command;
    }
}
