namespace HybridIngest.Testing;

/// <summary>
/// Where the running program (a test project or the benchmark) sits in the repository it was built
/// from: the nearest parent of its output folder holding HybridIngest.slnx, and its build configuration.
/// </summary>
public static class RepositoryLayout
{
    /// <summary>The repository root: the nearest parent of <see cref="AppContext.BaseDirectory"/> holding HybridIngest.slnx.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the program was built in (Debug or Release): bin/{Configuration}/net10.0/.</summary>
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    /// <summary>The server a project reference builds next to the program, in the same configuration.</summary>
    public static string BuiltServerDll { get; } =
        Path.Combine(Root, "src", "HybridIngest.Server", "bin", Configuration, "net10.0", "HybridIngest.Server.dll");

    /// <summary>The server's project folder.</summary>
    public static string ServerProject { get; } = Path.Combine(Root, "src", "HybridIngest.Server");

    /// <summary>The function's project folder.</summary>
    public static string FunctionProject { get; } = Path.Combine(Root, "src", "HybridIngest.Function");

    /// <summary>
    /// Where the tests that need lambda.zip and server.zip have the real Packager put them:
    /// HYBRID_TEST_ARTIFACTS, else the repository's artifacts/ (where <c>hybrid package</c> and the demo
    /// put them). Every test project packages into this one folder, so a run publishes each package
    /// once at most (the Packager's lock makes the other project wait, then finds them up to date).
    /// </summary>
    public static string TestArtifacts { get; } =
        Environment.GetEnvironmentVariable("HYBRID_TEST_ARTIFACTS") is { Length: > 0 } given ? given : Path.Combine(Root, "artifacts");

    static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HybridIngest.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException($"HybridIngest.slnx not found above {AppContext.BaseDirectory}.");
    }
}
