using System.IO.Compression;

namespace HybridIngest.Cli.Tests;

// Packaging builds Linux binaries, and the fake dotnet below is a shell script.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PackagerTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("hybrid-package-test").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ZipsTheExecutableWithMode0755AndTheRestWith0644()
    {
        var source = Directory.CreateDirectory(Path.Combine(_directory, "lambda")).FullName;
        File.WriteAllText(Path.Combine(source, "bootstrap"), "#!/bin/sh\n");
        File.WriteAllText(Path.Combine(source, "data.json"), "{}");
        var zipPath = Path.Combine(_directory, "lambda.zip");

        Packager.Zip(source, zipPath, "bootstrap");

        using var zip = ZipFile.OpenRead(zipPath);
        Assert.Equal(["bootstrap", "data.json"], zip.Entries.Select(e => e.FullName));
        Assert.Equal("100755", Mode(zip.GetEntry("bootstrap")!));
        Assert.Equal("100644", Mode(zip.GetEntry("data.json")!));
    }

    static string Mode(ZipArchiveEntry entry) => Convert.ToString((entry.ExternalAttributes >> 16) & 0xFFFF, 8);

    [Fact]
    public async Task SaysWhichToolchainIsMissingAndChangesNothing()
    {
        var emptyPath = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        var packager = new Packager(Packager.FindRepositoryRoot(AppContext.BaseDirectory), TextWriter.Null, searchPath: emptyPath);

        var error = await Assert.ThrowsAsync<UserException>(() => packager.PackageAsync("x86_64", Path.Combine(_directory, "artifacts"), CancellationToken.None));

        Assert.Equal(ExitCode.MissingTool, error.ExitCode);
        Assert.Contains(Tool.Dotnet.NotFound, error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install clang", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_directory, "artifacts")));
    }

    [Fact]
    public async Task SaysWhatIsMissingToCrossCompile()
    {
        // dotnet and clang alone: enough for this machine's architecture, not for the other one.
        var path = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        File.WriteAllText(Path.Combine(path, "dotnet"), "");
        File.WriteAllText(Path.Combine(path, "clang"), "");
        var other = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "x86_64" : "arm64";
        var packager = new Packager(Packager.FindRepositoryRoot(AppContext.BaseDirectory), TextWriter.Null, searchPath: path);

        var error = await Assert.ThrowsAsync<UserException>(() => packager.PackageAsync(other, Path.Combine(_directory, "artifacts"), CancellationToken.None));

        Assert.Equal(ExitCode.MissingTool, error.ExitCode);
        Assert.Contains("binutils", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not on PATH", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAnUnknownArchitecture() =>
        Assert.Equal(ExitCode.Usage, Assert.Throws<UserException>(() => Packager.RuntimeIdentifier("sparc")).ExitCode);

    [Fact]
    public void FindsTheRepositoryFromASubdirectory() =>
        Assert.True(File.Exists(Path.Combine(Packager.FindRepositoryRoot(AppContext.BaseDirectory), "HybridIngest.slnx")));

    /// <summary>
    /// A repository with a function, a server and the build files, and packages recorded as built from
    /// it with SDK 10.0.100 on this machine's architecture. The search path has a <c>dotnet</c> that
    /// answers its version and no clang, so a publish, if the packager started one, fails with
    /// <see cref="ExitCode.MissingTool"/>.
    /// </summary>
    sealed class PackagedRepository
    {
        public string Root { get; }
        public string Artifacts { get; }
        public string SearchPath { get; }
        public string Architecture { get; } = Packager.HostArchitecture;

        public PackagedRepository(string directory)
        {
            Root = Directory.CreateDirectory(Path.Combine(directory, "repo")).FullName;
            Write("HybridIngest.slnx", "<Solution />");
            Write("Directory.Build.props", "<Project />");
            Write("Directory.Packages.props", "<Project />");
            Write("src/HybridIngest.Function/Program.cs", "// function");
            Write("src/HybridIngest.Server/Program.cs", "// server");
            Write("src/HybridIngest.Contracts/Contracts.cs", "// contracts");
            SearchPath = Directory.CreateDirectory(Path.Combine(directory, "tools")).FullName;
            SdkVersion("10.0.100");

            Artifacts = Path.Combine(directory, "artifacts");
            foreach (var file in new[] { "lambda.zip", "server.zip", "lambda/bootstrap", "server/HybridIngest.Server" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Artifacts, file))!);
                File.WriteAllText(Path.Combine(Artifacts, file), "built");
            }
            File.WriteAllText(Path.Combine(Artifacts, "inputs.sha256"), PackageInputs.Hash(Root, Packager.RuntimeIdentifier(Architecture), "10.0.100"));
        }

        public void Write(string path, string text)
        {
            var file = Path.Combine(Root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text);
        }

        /// <summary>The SDK the fake <c>dotnet</c> says it is.</summary>
        public void SdkVersion(string version)
        {
            var dotnet = Path.Combine(SearchPath, "dotnet");
            File.WriteAllText(dotnet, $"#!/bin/sh\necho {version}\n");
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        public Task<PackageResult> PackageAsync(string? architecture = null, TextWriter? log = null) =>
            new Packager(Root, log ?? TextWriter.Null, SearchPath).PackageAsync(architecture ?? Architecture, Artifacts, CancellationToken.None);

        /// <summary>Holds the clone's packaging lock, as a packaging in another process does while it publishes.</summary>
        public FileStream HoldPackagingLock()
        {
            var path = Packager.LockPath(Root);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
    }

    /// <summary>Completes <see cref="Written"/> with the first line written.</summary>
    sealed class FirstLine : StringWriter
    {
        readonly TaskCompletionSource<string> _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> Written => _written.Task;

        public override void WriteLine(string? value) => _written.TrySetResult(value ?? "");
    }

    [Fact]
    public async Task SaysWhenItCannotTakeThePackagingLockInsteadOfWaiting()
    {
        var repository = new PackagedRepository(_directory);
        // Not a lock another packaging holds: a path the lock file cannot be opened at.
        Directory.CreateDirectory(Packager.LockPath(repository.Root));
        File.Delete(Path.Combine(repository.Artifacts, "inputs.sha256"));
        File.WriteAllText(Path.Combine(repository.SearchPath, "clang"), "");

        var error = await Assert.ThrowsAsync<UserException>(() => repository.PackageAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ExitCode.Error, error.ExitCode);
        Assert.Contains("Cannot take the packaging lock", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitsForAnotherPackagingOfTheCloneThenFindsItsPackagesUpToDate()
    {
        var repository = new PackagedRepository(_directory);
        // The other packaging holds the lock, and its packages are not written yet.
        var other = repository.HoldPackagingLock();
        File.Delete(Path.Combine(repository.Artifacts, "inputs.sha256"));
        File.WriteAllText(Path.Combine(repository.SearchPath, "clang"), "");
        var log = new FirstLine();

        var packaging = repository.PackageAsync(log: log);

        Assert.Contains("Another packaging of this clone is running: waiting for it to finish", await log.Written.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(packaging.IsCompleted);
        // It finishes, having written the packages and their inputs, and lets go of the lock.
        File.WriteAllText(Path.Combine(repository.Artifacts, "inputs.sha256"), PackageInputs.Hash(repository.Root, Packager.RuntimeIdentifier(repository.Architecture), "10.0.100"));
        await other.DisposeAsync();

        var result = await packaging.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.Rebuilt);
    }

    public static TheoryData<string> ChangesThatKeepThePackages() => ["nothing", "touched", "bin and obj", "tests"];

    [Theory]
    [MemberData(nameof(ChangesThatKeepThePackages))]
    public async Task DoesNotRepublishWhenTheInputsAreTheSame(string change)
    {
        var repository = new PackagedRepository(_directory);
        switch (change)
        {
            case "touched":
                File.SetLastWriteTimeUtc(Path.Combine(repository.Root, "src/HybridIngest.Server/Program.cs"), DateTime.UtcNow.AddHours(1));
                File.SetLastWriteTimeUtc(Path.Combine(repository.Root, "Directory.Build.props"), DateTime.UtcNow.AddHours(1));
                break;
            case "bin and obj":
                repository.Write("src/HybridIngest.Server/bin/Release/x.dll", "x");
                repository.Write("src/HybridIngest.Function/obj/project.assets.json", "{}");
                break;
            case "tests":
                repository.Write("tests/HybridIngest.Server.Tests/NewTests.cs", "// tests");
                break;
        }

        var result = await repository.PackageAsync();

        Assert.False(result.Rebuilt);
    }

    public static TheoryData<string> ChangesThatRepublish() => ["source edited", "source added", "package versions", "sdk", "architecture"];

    [Theory]
    [MemberData(nameof(ChangesThatRepublish))]
    public async Task RepublishesWhenAnInputChanges(string change)
    {
        var repository = new PackagedRepository(_directory);
        var architecture = repository.Architecture;
        switch (change)
        {
            case "source edited":
                repository.Write("src/HybridIngest.Contracts/Contracts.cs", "// contracts, edited");
                break;
            case "source added":
                repository.Write("src/HybridIngest.Function/Handler.cs", "// new");
                break;
            case "package versions":
                repository.Write("Directory.Packages.props", "<Project><!-- a new version --></Project>");
                break;
            case "sdk":
                repository.SdkVersion("10.0.200");
                break;
            case "architecture":
                architecture = architecture == "arm64" ? "x86_64" : "arm64";
                break;
        }

        // The publish it starts needs clang, which the search path does not have.
        var error = await Assert.ThrowsAsync<UserException>(() => repository.PackageAsync(architecture));

        Assert.Equal(ExitCode.MissingTool, error.ExitCode);
        Assert.Contains("clang", error.Message, StringComparison.Ordinal);
    }
}
