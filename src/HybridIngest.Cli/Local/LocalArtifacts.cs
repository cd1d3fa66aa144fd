using System.IO.Compression;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The stack's own copy of the packages in <c>.hybrid/run/</c>: Terraform hashes the same files at
/// apply and at destroy, and a new <c>hybrid package</c> does not pull files from under the processes.
/// </summary>
sealed record LocalArtifacts(string RunDirectory)
{
    public string LambdaZip => Path.Combine(RunDirectory, "lambda.zip");
    public string ServerZip => Path.Combine(RunDirectory, "server.zip");

    public static LocalArtifacts CopyFrom(PackageResult package, string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var artifacts = new LocalArtifacts(runDirectory);
        File.Copy(package.LambdaZip, artifacts.LambdaZip, overwrite: true);
        File.Copy(package.ServerZip, artifacts.ServerZip, overwrite: true);
        return artifacts;
    }

    /// <summary>Unpacks <paramref name="zip"/> into <c>run/NAME/</c> (afresh) and returns that folder.</summary>
    public string Extract(string zip, string name, string executable)
    {
        var directory = Path.Combine(RunDirectory, name);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        ZipFile.ExtractToDirectory(zip, directory);
        // The zip carries mode 0755 for it; made sure of, since a zip tool may drop it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(directory, executable),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return directory;
    }
}
