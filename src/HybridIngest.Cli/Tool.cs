namespace HybridIngest.Cli;

/// <summary>
/// A program <c>hybrid</c> runs, with how to install it. Each command checks the tools it needs
/// before it creates or starts anything; a missing one is <see cref="ExitCode.MissingTool"/> with a
/// message that names it (the README's exit-code table).
/// </summary>
public sealed record Tool(string Name, string Install)
{
    public static readonly Tool Dotnet = new("dotnet", "install the .NET 10 SDK (https://dot.net/download)");
    public static readonly Tool Terraform = new("terraform", "install Terraform >= 1.8 (https://developer.hashicorp.com/terraform/install)");
    public static readonly Tool MotoServer = new(Offline.MotoServer.Executable, $"install it with: {Offline.MotoServer.Install}");

    /// <summary>The sentence that says this tool is missing and how to install it.</summary>
    public string NotFound => $"{Name} is not on PATH: {Install}.";

    /// <summary>Throws <see cref="ExitCode.MissingTool"/> naming every one of <paramref name="tools"/> that is not on PATH.</summary>
    public static void Require(params Tool[] tools)
    {
        var missing = tools.Where(tool => !IsOnPath(tool.Name)).Select(tool => tool.NotFound).ToList();
        if (missing.Count > 0)
        {
            throw new UserException(string.Join(" ", missing), ExitCode.MissingTool);
        }
    }

    /// <summary>Whether <paramref name="name"/> is a file in a directory of <paramref name="searchPath"/> (default: PATH).</summary>
    public static bool IsOnPath(string name, string? searchPath = null) =>
        (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, name)));
}
