using System.CommandLine;
using Spectre.Console;
using static HybridIngest.Cli.SharedOptions;

namespace HybridIngest.Cli;

/// <summary><c>hybrid verify</c>: read back from S3 every image the last invoke or bench stored.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var command = new Command("verify", "Check in S3 that every image the last invoke or bench stored exists with the reported size and SHA-256, and that S3's own SHA-256 checksum of it (full-object or multipart composite) is present and is that of its bytes.")
        {
            StateDir,
        };
        command.SetAction((result, ct) => CommandAction.Run(() =>
            new VerifyAction(AnsiConsole.Console).RunAsync(new StoredImagesStore(LocalState.Resolve(result.GetValue(StateDir))), ct)));
        return command;
    }
}
