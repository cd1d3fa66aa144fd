using CliWrap;
using CliWrap.Buffered;

namespace HybridIngest.Offline;

/// <summary>
/// <c>dotnet publish</c> of one of the repository's projects for a Linux runtime, in Release and
/// without symbol files (neither Lambda nor the instance reads them), into a fresh output folder:
/// the way <c>hybrid package</c> publishes, shared by the tests and the benchmark that need a build.
/// </summary>
public static class DotnetPublish
{
    /// <summary>How the server ships: self-contained (no runtime on the instance) and trimmed.</summary>
    public static readonly IReadOnlyList<string> ServerArguments = ["--self-contained", "-p:PublishTrimmed=true"];

    /// <param name="project">The project's folder or file.</param>
    /// <param name="extraArguments">More arguments for <c>dotnet publish</c> (properties, <c>--artifacts-path</c>).</param>
    /// <exception cref="DotnetPublishException">The publish failed.</exception>
    public static async Task RunAsync(
        string project,
        string runtimeIdentifier,
        string output,
        IEnumerable<string> extraArguments,
        CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }
        var publish = await Cli.Wrap("dotnet")
            .WithArguments(["publish", project, "-c", "Release", "-r", runtimeIdentifier, "-o", output, "--nologo", "-p:DebugType=none", .. extraArguments])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        if (publish.ExitCode != 0)
        {
            var errors = (publish.StandardOutput + publish.StandardError).Split('\n')
                .Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(20).ToList();
            throw new DotnetPublishException(project, runtimeIdentifier, publish.ExitCode, errors);
        }
    }
}

/// <summary>A <c>dotnet publish</c> that exited with an error; <see cref="Errors"/> holds its first distinct error lines.</summary>
public sealed class DotnetPublishException(string project, string runtimeIdentifier, int exitCode, IReadOnlyList<string> errors)
    : Exception($"dotnet publish {project} -r {runtimeIdentifier} failed ({exitCode}):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
