using System.IO.Compression;

namespace HybridIngest.Cli.Tests;

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
}
