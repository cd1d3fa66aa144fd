using System.Security.Cryptography;
using System.Text;
using CliWrap.Buffered;

namespace HybridIngest.Cli;

/// <summary>
/// Everything a package is built from, as one SHA-256: each source file of the projects the two
/// publishes build (path and bytes; bin/ and obj/ left out), the repository-wide build files, the
/// SDK that <c>dotnet</c> resolves in the repository, and the runtime identifier. The packages are
/// republished only when it changes: a touched file or a branch switched and back reuses them; an
/// edited or added source, a new SDK or another architecture does not.
/// </summary>
public static class PackageInputs
{
    /// <summary>The projects the function and the server are published from, with the one they both reference.</summary>
    public static readonly string[] Projects = ["src/HybridIngest.Function", "src/HybridIngest.Server", "src/HybridIngest.Contracts"];

    static readonly string[] BuildFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json"];
    static readonly string[] BuildOutputs = ["bin", "obj"];

    /// <summary>The inputs' hash in hex with the SDK <c>dotnet</c> resolves here, or null when there is no <c>dotnet</c> on <paramref name="searchPath"/> to ask.</summary>
    public static async Task<string?> CurrentAsync(string repositoryRoot, string runtimeIdentifier, string? searchPath)
    {
        var sdk = await SdkVersionAsync(repositoryRoot, searchPath);
        return sdk is null ? null : Hash(repositoryRoot, runtimeIdentifier, sdk);
    }

    /// <summary>The inputs' hash in hex for a given SDK version.</summary>
    public static string Hash(string repositoryRoot, string runtimeIdentifier, string sdkVersion)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendLine(hash, $"rid {runtimeIdentifier}");
        AppendLine(hash, $"sdk {sdkVersion}");
        foreach (var file in Files(repositoryRoot))
        {
            var bytes = File.ReadAllBytes(file);
            // The path and the length frame each file, so moving bytes between files changes the hash.
            AppendLine(hash, $"file {Path.GetRelativePath(repositoryRoot, file).Replace(Path.DirectorySeparatorChar, '/')} {bytes.Length}");
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    static IEnumerable<string> Files(string repositoryRoot)
    {
        var sources = Projects.Select(p => Path.Combine(repositoryRoot, p)).Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(file => !Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar).Any(BuildOutputs.Contains)));
        var buildFiles = BuildFiles.Select(f => Path.Combine(repositoryRoot, f)).Where(File.Exists);
        return sources.Concat(buildFiles).Order(StringComparer.Ordinal);
    }

    static void AppendLine(IncrementalHash hash, string line) => hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));

    /// <summary>What <c>dotnet --version</c> says in the repository (global.json picks the SDK), or null without dotnet.</summary>
    static async Task<string?> SdkVersionAsync(string repositoryRoot, string? searchPath)
    {
        if (Tool.Find(Tool.Dotnet.Name, searchPath) is not { } dotnet)
        {
            return null;
        }
        try
        {
            var run = await CliWrap.Cli.Wrap(dotnet).WithArguments("--version").WithWorkingDirectory(repositoryRoot)
                .WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync();
            var version = run.StandardOutput.Trim();
            return run.ExitCode == 0 && version.Length > 0 ? version : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // Not executable: no SDK to ask, so the packages count as stale and the publish says what is wrong.
        }
    }
}
