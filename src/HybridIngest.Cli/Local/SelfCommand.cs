namespace HybridIngest.Cli.Local;

/// <summary>This program as a command line, for the hidden commands that <c>local up</c> runs detached (lambda-host, balancer).</summary>
public static class SelfCommand
{
    /// <summary>The apphost with <paramref name="arguments"/>, or <c>dotnet hybrid.dll</c> with them when run that way.</summary>
    public static (string Executable, IReadOnlyList<string> Arguments) CommandLine(params string[] arguments)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is unknown.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [typeof(SelfCommand).Assembly.Location, .. arguments])
            : (process, arguments);
    }
}
