using System.IO.Compression;
using System.Runtime.InteropServices;
using HybridIngest.Offline;

namespace HybridIngest.Cli;

/// <summary>What <see cref="Packager"/> produced: the two zips and their unpacked trees beside them.</summary>
public sealed record PackageResult(
    string Architecture,
    string LambdaZip,
    string ServerZip,
    string LambdaDirectory,
    string ServerDirectory,
    bool Rebuilt)
{
    /// <summary>The function's executable (<c>artifacts/lambda/bootstrap</c>).</summary>
    public string Bootstrap => Path.Combine(LambdaDirectory, Packager.BootstrapName);

    /// <summary>The server's executable (<c>artifacts/server/HybridIngest.Server</c>).</summary>
    public string ServerExecutable => Path.Combine(ServerDirectory, Packager.ServerExecutableName);
}

/// <summary>
/// Publishes the function (Native AOT <c>bootstrap</c>) and the server (self-contained, trimmed)
/// for Linux on one architecture, as <c>lambda.zip</c> and <c>server.zip</c> plus the unpacked
/// <c>lambda/</c> and <c>server/</c> directories. Packages built from the same inputs
/// (<see cref="PackageInputs"/>) are not republished.
/// </summary>
/// <param name="searchPath">Where to look for dotnet and the C toolchain (default: PATH).</param>
public sealed class Packager(string repositoryRoot, TextWriter log, string? searchPath = null)
{
    public const string BootstrapName = "bootstrap";
    public const string ServerExecutableName = "HybridIngest.Server";
    public static readonly string[] Architectures = ["x86_64", "arm64"];

    const string FunctionProject = "src/HybridIngest.Function";
    const string ServerProject = "src/HybridIngest.Server";
    /// <summary>The <see cref="PackageInputs"/> hash the packages in the folder were built from, written after they all are.</summary>
    const string InputsMarker = "inputs.sha256";

    // Zip's Unix external attributes are st_mode << 16: S_IFREG | 0755, and S_IFREG | 0644.
    const int ExecutableMode = unchecked((int)0x81ED_0000);
    const int RegularFileMode = unchecked((int)0x81A4_0000);

    /// <summary>The repository whose sources are packaged: the nearest parent of the current directory holding HybridIngest.slnx.</summary>
    public static string FindRepositoryRoot(string? start = null)
    {
        for (var directory = new DirectoryInfo(start ?? Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HybridIngest.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new UserException("Not inside the HybridIngest repository (no HybridIngest.slnx here or above): run hybrid from the clone.");
    }

    /// <summary>This machine's architecture, as <c>--arch</c> names it.</summary>
    public static string HostArchitecture => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x86_64";

    public static string RuntimeIdentifier(string architecture) => architecture switch
    {
        "x86_64" => "linux-x64",
        "arm64" => "linux-arm64",
        _ => throw new UserException($"--arch must be x86_64 or arm64, not '{architecture}'."),
    };

    public async Task<PackageResult> PackageAsync(string architecture, string outputDirectory, CancellationToken cancellationToken)
    {
        var rid = RuntimeIdentifier(architecture);
        var output = Path.GetFullPath(outputDirectory, repositoryRoot);
        var result = Planned(architecture, output);

        async Task<bool> UpToDateAsync()
        {
            var upToDate = await IsUpToDateAsync(result, output);
            if (upToDate)
            {
                log.WriteLine($"Artifacts in {output} were built from these sources: not republished.");
            }
            return upToDate;
        }

        if (await UpToDateAsync())
        {
            return result with { Rebuilt = false };
        }
        var toolchain = CheckToolchain(architecture);
        await using var packaging = await LockAsync(cancellationToken);
        if (await UpToDateAsync()) // published meanwhile by the packaging it waited for
        {
            return result with { Rebuilt = false };
        }
        var inputs = await PackageInputs.CurrentAsync(repositoryRoot, rid, searchPath);
        Directory.CreateDirectory(output);
        File.Delete(Path.Combine(output, InputsMarker));

        await PublishAsync(FunctionProject, rid, result.LambdaDirectory, toolchain, cancellationToken);
        await PublishAsync(ServerProject, rid, result.ServerDirectory, [.. DotnetPublish.ServerArguments], cancellationToken);
        Require(result.Bootstrap);
        Require(result.ServerExecutable);

        Zip(result.LambdaDirectory, result.LambdaZip, BootstrapName);
        Zip(result.ServerDirectory, result.ServerZip, ServerExecutableName);
        if (inputs is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(output, InputsMarker), inputs, cancellationToken);
        }
        return result;
    }

    /// <summary>
    /// Throws <see cref="ExitCode.MissingTool"/> when the packages in <paramref name="outputDirectory"/> are due
    /// for a publish and its toolchain is missing: for commands that check before they start anything.
    /// </summary>
    public async Task RequireToolchainIfStaleAsync(string architecture, string outputDirectory)
    {
        var output = Path.GetFullPath(outputDirectory, repositoryRoot);
        if (!await IsUpToDateAsync(Planned(architecture, output), output))
        {
            CheckToolchain(architecture);
        }
    }

    /// <summary>
    /// Packagings in one clone wait for each other (another command, another test project): they publish
    /// through the same obj/ folders, and the one that waited then finds the packages up to date. The
    /// lock is the file's (flock, through FileShare.None), released when the process ends however it ends.
    /// </summary>
    internal static string LockPath(string repositoryRoot) => Path.Combine(repositoryRoot, "artifacts", ".packaging.lock");

    async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        // flock's EWOULDBLOCK, which .NET reports as the IOException's HResult; any other failure
        // to open the file (a read-only folder, say) is not a packaging to wait for.
        const int LockHeldElsewhere = 11;
        var path = LockPath(repositoryRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (var waiting = false; ; waiting = true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e.HResult == LockHeldElsewhere && !cancellationToken.IsCancellationRequested)
            {
                if (!waiting)
                {
                    log.WriteLine($"Another packaging of this clone is running: waiting for it to finish ({path}).");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !cancellationToken.IsCancellationRequested)
            {
                throw new UserException($"Cannot take the packaging lock {path}: {e.Message}", ExitCode.Error);
            }
        }
    }

    static PackageResult Planned(string architecture, string output) => new(
        architecture,
        Path.Combine(output, "lambda.zip"),
        Path.Combine(output, "server.zip"),
        Path.Combine(output, "lambda"),
        Path.Combine(output, "server"),
        Rebuilt: true);

    async Task<bool> IsUpToDateAsync(PackageResult result, string output)
    {
        var marker = Path.Combine(output, InputsMarker);
        return new[] { marker, result.LambdaZip, result.ServerZip, result.Bootstrap, result.ServerExecutable }.All(File.Exists)
            && File.ReadAllText(marker).Trim() == await PackageInputs.CurrentAsync(repositoryRoot, RuntimeIdentifier(result.Architecture), searchPath);
    }

    // dotnet publishes; Native AOT links with the platform's C toolchain: clang for this machine's
    // architecture, and for the other one also the cross binutils and a sysroot (Debian:
    // gcc-aarch64-linux-gnu and libc6-dev-arm64-cross). Returns the publish properties the toolchain needs.
    string[] CheckToolchain(string architecture)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new UserException("hybrid package builds Linux Native AOT binaries and must run on Linux (Native AOT does not cross-compile between operating systems).", ExitCode.MissingTool);
        }
        var clang = new[] { "clang" }.Concat(Enumerable.Range(14, 8).Reverse().Select(v => $"clang-{v}")).FirstOrDefault(OnPath);
        var missing = new[]
        {
            OnPath(Tool.Dotnet.Name) ? null : Tool.Dotnet.NotFound,
            clang is not null ? null : "Native AOT needs clang and the zlib development files: apt-get install clang zlib1g-dev.",
        }.OfType<string>().ToList();
        if (missing.Count > 0)
        {
            throw new UserException(string.Join(" ", missing), ExitCode.MissingTool);
        }
        var host = HostArchitecture;
        if (architecture == host)
        {
            return [];
        }

        var triple = architecture == "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        var debian = architecture == "arm64" ? "arm64" : "amd64";
        if (!OnPath($"{triple}-ld") || !Directory.Exists($"/usr/{triple}/lib"))
        {
            throw new UserException(
                $"Packaging for {architecture} on this {host} machine cross-compiles, which needs the {triple} binutils and sysroot: " +
                $"apt-get install gcc-{triple} binutils-{triple} libc6-dev-{debian}-cross (or package on a {architecture} machine).",
                ExitCode.MissingTool);
        }
        // The ILCompiler finds an unversioned clang on its own; a versioned one must be named.
        return clang == "clang" ? [] : [$"-p:CppCompilerAndLinker={clang}"];
    }

    bool OnPath(string tool) => Tool.IsOnPath(tool, searchPath);

    async Task PublishAsync(string project, string rid, string output, string[] extra, CancellationToken cancellationToken)
    {
        log.WriteLine($"dotnet publish {project} ({rid}) …");
        try
        {
            await DotnetPublish.RunAsync(Path.Combine(repositoryRoot, project), rid, output, extra, cancellationToken);
        }
        catch (DotnetPublishException e)
        {
            throw new UserException($"dotnet publish {project} -r {rid} failed:{Environment.NewLine}{string.Join(Environment.NewLine, e.Errors)}", ExitCode.Error);
        }
    }

    static void Require(string file)
    {
        if (!File.Exists(file))
        {
            throw new UserException($"The publish did not produce {file}.", ExitCode.Error);
        }
    }

    /// <summary>Zips a directory's files at the archive root; <paramref name="executable"/> gets mode 0755, the rest 0644.</summary>
    internal static void Zip(string directory, string zipPath, string executable)
    {
        var temporary = zipPath + ".tmp";
        using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Create))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var name = Path.GetRelativePath(directory, file).Replace(Path.DirectorySeparatorChar, '/');
                var entry = zip.CreateEntryFromFile(file, name, CompressionLevel.Optimal);
                entry.ExternalAttributes = name == executable ? ExecutableMode : RegularFileMode;
            }
        }
        File.Move(temporary, zipPath, overwrite: true);
    }
}
