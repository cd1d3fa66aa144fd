using Spectre.Console;

namespace HybridIngest.Cli;

/// <summary><c>hybrid package</c>: both artifacts for one architecture, and their sizes.</summary>
public sealed class PackageAction(IAnsiConsole console)
{
    public async Task<ExitCode> RunAsync(string architecture, string outputDirectory, CancellationToken cancellationToken)
    {
        var root = Packager.FindRepositoryRoot();
        var packager = new Packager(root, Console.Out);
        var result = await packager.PackageAsync(architecture, outputDirectory, cancellationToken);

        var table = new Table().AddColumns("Artifact", "Size", "Unpacked");
        foreach (var (zip, unpacked) in new[] { (result.LambdaZip, result.LambdaDirectory), (result.ServerZip, result.ServerDirectory) })
        {
            table.AddRow(Markup.Escape(Relative(zip)), Size(new FileInfo(zip).Length), Markup.Escape(Relative(unpacked) + "/"));
        }
        console.Write(table);
        console.MarkupLineInterpolated($"Architecture {result.Architecture}{(result.Rebuilt ? "" : " (up to date, not republished)")}.");
        return ExitCode.Success;
    }

    static string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);

    static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";
}
